package org.cpnskeys.server.store;

import java.util.HexFormat;
import java.util.Objects;

/**
 * The head of one server's hash-chained audit log as the store keeps it: which log ({@code log}, the random ID made
 * with the log file: every server of a cluster keeps its own log in the one store), how many lines the log had when
 * it was last made durable, and the SHA-256 (hex) of the last of them ({@code AuditChain.GENESIS} for none yet: a log
 * is registered before its first line). The store only ever moves it forward.
 */
public record AuditHead(String log, long lines, String hash) {
    public AuditHead {
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(hash, "hash");
        if (!log.matches("[0-9a-f]{32}")) {
            throw new IllegalArgumentException("an audit log's ID is 32 lower-case hex digits");
        }
        if (lines < 0) {
            throw new IllegalArgumentException("an audit head counts no negative number of lines");
        }
        if (hash.length() != 64 || !hash.equals(hash.toLowerCase(java.util.Locale.ROOT))) {
            throw new IllegalArgumentException("an audit head's hash is 64 lower-case hex digits");
        }
        HexFormat.of().parseHex(hash);
    }
}
