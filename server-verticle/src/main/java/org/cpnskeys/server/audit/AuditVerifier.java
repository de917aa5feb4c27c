package org.cpnskeys.server.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.server.store.AuditHead;

/**
 * Checks an audit log against its hash chain and the head the store keeps ({@code cpns audit verify}): every line
 * must be a JSON object whose {@code seq} is its line number and whose {@code prev} is the hash of the line before
 * ({@link AuditChain}); the log must hold at least the head's lines, and its line number {@code head.lines} must
 * hash to the head's hash. Reports the first line found bad: an edited line breaks the link of the line after it
 * (the last line: the head's hash); a removed, moved or inserted line carries the wrong {@code seq} or breaks a
 * link; a truncated log is shorter than the head; a log edited and chained again from the edit on no longer ends
 * in the head's hash. Lines after the head (written after the store's last update of it: a crash between the
 * log's fsync and the head's update, or a running server) are counted, not judged. Blocking.
 */
public final class AuditVerifier {

    /**
     * What the check found.
     *
     * @param lines the log's complete lines
     * @param badLine the first line found bad (0: none; for a truncated log, the first missing line)
     * @param problem what is wrong, empty when the log is intact
     * @param afterHead lines after the store's head (0 when none or when no head is stored)
     */
    public record Report(long lines, long badLine, Optional<String> problem, long afterHead) {
        public boolean intact() {
            return problem.isEmpty();
        }
    }

    private AuditVerifier() {
    }

    /** Checks {@code file} against {@code head} (empty: no head stored yet; then only the chain is checked). */
    public static Report verify(final Path file, final Optional<AuditHead> head) throws IOException {
        if (!Files.exists(file)) {
            return head.map(h -> bad(0, 1, "the log " + file + " does not exist, but the store's head records "
                    + h.lines() + " lines")).orElse(new Report(0, 0, Optional.empty(), 0));
        }
        long n = 0;
        String prev = AuditChain.GENESIS;
        String atHead = null;
        try (AuditChain.Lines in = new AuditChain.Lines(Files.newInputStream(file))) {
            for (Optional<byte[]> line = in.next(); line.isPresent(); line = in.next()) {
                n++;
                final Optional<String> wrong = link(line.get(), n, prev);
                if (wrong.isPresent()) {
                    return bad(n, n, "line " + n + ": " + wrong.get());
                }
                prev = AuditChain.hash(line.get());
                if (head.isPresent() && n == head.get().lines()) {
                    atHead = prev;
                }
            }
            if (in.tornTail()) {
                return bad(n, n + 1, "line " + (n + 1) + ": incomplete (no newline at the end of the log)");
            }
        }
        if (head.isEmpty()) {
            return new Report(n, 0, Optional.empty(), 0);
        }
        final AuditHead h = head.get();
        if (n < h.lines()) {
            return bad(n, n + 1, "the log ends after line " + n + " but the store's head records " + h.lines()
                    + " lines: lines " + (n + 1) + " to " + h.lines() + " were removed (truncated)");
        }
        if (!h.hash().equals(atHead)) {
            return bad(n, h.lines(), "line " + h.lines() + " is not the line the store's head recorded: it was edited,"
                    + " or lines before it were edited, removed or inserted and the chain computed again");
        }
        return new Report(n, 0, Optional.empty(), n - h.lines());
    }

    /** What is wrong with line {@code n} given the hash of the line before, if anything. */
    private static Optional<String> link(final byte[] line, final long n, final String prev) {
        final JsonObject o;
        try {
            o = new JsonObject(new String(line, StandardCharsets.UTF_8));
        } catch (DecodeException | ClassCastException e) {
            return Optional.of("not a JSON object (edited or inserted)");
        }
        final Object seq = o.getValue("seq");
        if (!(seq instanceof Number s) || s.longValue() != n) {
            return Optional.of("carries seq " + seq + " where line " + n + " belongs (a line was removed, moved or"
                    + " inserted here)");
        }
        if (!prev.equals(o.getValue("prev"))) {
            return Optional.of(n == 1 ? "does not start the chain (prev is not the genesis value)"
                    : "its prev is not the hash of line " + (n - 1) + " (line " + (n - 1)
                            + " was edited, or this line was inserted)");
        }
        return Optional.empty();
    }

    private static Report bad(final long lines, final long badLine, final String problem) {
        return new Report(lines, badLine, Optional.of(problem), 0);
    }
}
