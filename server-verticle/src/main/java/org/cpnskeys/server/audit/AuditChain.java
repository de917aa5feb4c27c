package org.cpnskeys.server.audit;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The hash chain of the server's audit log. Each line is a JSON object whose first fields are {@code "seq"} (its
 * line number, from 1) and {@code "prev"}: the SHA-256, in lower-case hex, of the previous line's exact bytes
 * (UTF-8, without its terminating newline), or {@link #GENESIS} on the first line. So a line commits to every line
 * before it, and the hash of the last line (with the line count: the log's {@link org.cpnskeys.server.store.AuditHead
 * head}, kept in the EUKey store) commits to the whole log.
 */
public final class AuditChain {
    /** The {@code prev} of the first line: 64 zeros. */
    public static final String GENESIS = "0".repeat(64);

    private AuditChain() {
    }

    /** The SHA-256 (lower-case hex) of one line's bytes, without its newline. */
    public static String hash(final byte[] line) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(line));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256", e);
        }
    }

    /** The file beside an audit log that holds the log's ID ({@code audit.jsonl.id} for {@code audit.jsonl}). */
    public static Path idFile(final Path log) {
        return log.resolveSibling(log.getFileName() + ".id");
    }

    /** The log's ID, if its ID file exists. Blocking. */
    public static Optional<String> existingLogId(final Path log) throws IOException {
        final Path id = idFile(log);
        return Files.exists(id) ? Optional.of(Files.readString(id, java.nio.charset.StandardCharsets.US_ASCII).strip())
                : Optional.empty();
    }

    /**
     * The log's ID, made when it has none yet: 32 random hex digits in an owner-only file beside the log. Every
     * server keeps its own log, and the store keeps one head per log ID (one store serves a whole cluster).
     * Blocking.
     */
    public static String logId(final Path log) throws IOException {
        final Optional<String> existing = existingLogId(log);
        if (existing.isPresent()) {
            return existing.get();
        }
        final byte[] random = new byte[16];
        new java.security.SecureRandom().nextBytes(random);
        final String id = HexFormat.of().formatHex(random);
        Files.writeString(Files.createFile(idFile(log), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"))), id + "\n",
                java.nio.charset.StandardCharsets.US_ASCII);
        return id;
    }

    /** Where a log ends: how many complete lines it has, the hash of the last, and the bytes they take. */
    public record End(long lines, String lastHash, long bytes) {
    }

    /**
     * Reads the log's complete lines (an unterminated last line, torn by a crash during a write, is not counted:
     * {@code bytes} ends before it). Blocking.
     */
    public static End end(final Path file) throws IOException {
        long lines = 0;
        String last = GENESIS;
        long bytes = 0;
        if (!Files.exists(file)) {
            return new End(0, GENESIS, 0);
        }
        try (Lines in = new Lines(Files.newInputStream(file))) {
            for (Optional<byte[]> line = in.next(); line.isPresent(); line = in.next()) {
                lines++;
                last = hash(line.get());
                bytes += line.get().length + 1;
            }
        }
        return new End(lines, last, bytes);
    }

    /** The hash of line {@code n} (from 1) of the log, empty when it has fewer complete lines. Blocking. */
    public static Optional<String> hashOfLine(final Path file, final long n) throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try (Lines in = new Lines(Files.newInputStream(file))) {
            long i = 0;
            for (Optional<byte[]> line = in.next(); line.isPresent(); line = in.next()) {
                if (++i == n) {
                    return Optional.of(hash(line.get()));
                }
            }
        }
        return Optional.empty();
    }

    /** Reads a log line by line as bytes; only lines ended by a newline count. */
    public static final class Lines implements AutoCloseable {
        private final InputStream in;
        private final ByteArrayOutputStream current = new ByteArrayOutputStream(512);

        public Lines(final InputStream in) {
            this.in = new BufferedInputStream(in, 1 << 16);
        }

        /** The next complete line without its newline; empty at the end (a torn tail is dropped). */
        public Optional<byte[]> next() throws IOException {
            current.reset();
            for (int b = in.read(); b >= 0; b = in.read()) {
                if (b == '\n') {
                    return Optional.of(current.toByteArray());
                }
                current.write(b);
            }
            return Optional.empty();
        }

        /** Whether the input ended with bytes after the last newline (a torn line). */
        public boolean tornTail() {
            return current.size() > 0;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
