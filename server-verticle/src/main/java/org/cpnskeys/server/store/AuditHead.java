package org.cpnskeys.server.store;

import java.util.HexFormat;
import java.util.Objects;

/**
 * The head of the server's hash-chained audit log as the store keeps it: how many lines the log had when it was
 * last made durable, and the SHA-256 (hex) of the last of them. The store only ever moves it forward.
 */
public record AuditHead(long lines, String hash) {
    public AuditHead {
        Objects.requireNonNull(hash, "hash");
        if (lines < 1) {
            throw new IllegalArgumentException("an audit head counts at least one line");
        }
        if (hash.length() != 64 || !hash.equals(hash.toLowerCase(java.util.Locale.ROOT))) {
            throw new IllegalArgumentException("an audit head's hash is 64 lower-case hex digits");
        }
        HexFormat.of().parseHex(hash);
    }
}
