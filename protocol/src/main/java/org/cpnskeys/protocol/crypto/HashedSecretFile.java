package org.cpnskeys.protocol.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * A text secret people type or paste (the approval page's admin secret, the admin API's bearer token): random
 * bytes as base64url, generated at first start into an owner-only file ({@link SecretFiles#writeNew}; when two
 * processes race, both use the file that won), read back at every start. Only its SHA-256 is kept in memory; a
 * presented value is checked by comparing SHA-256 digests with {@link MessageDigest#isEqual} (constant time in
 * its content). Neither {@link #toString()} nor an exception message ever shows the secret. Blocking to load.
 */
public final class HashedSecretFile {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path file;
    private final byte[] digest;

    private HashedSecretFile(final Path file, final byte[] digest) {
        this.file = file;
        this.digest = digest;
    }

    /**
     * Reads the secret in {@code file}, or creates it there (owner-only) from {@code randomBytes} random bytes on
     * first use; refuses a file whose secret (surrounding white space removed) is shorter than {@code minLength}
     * characters, naming it {@code what} in the message.
     */
    public static HashedSecretFile loadOrCreate(final Path file, final int randomBytes, final int minLength,
            final String what) throws IOException {
        Objects.requireNonNull(file, "file");
        if (!Files.exists(file)) {
            create(file, randomBytes);
        }
        final byte[] content = Files.readAllBytes(file);
        try {
            final String text = new String(content, StandardCharsets.UTF_8).strip();
            if (text.length() < minLength) {
                throw new IOException(file + " does not hold " + what + " of at least " + minLength
                        + " characters (remove it to generate a new one)");
            }
            return new HashedSecretFile(file, sha256(text));
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    /** Whether {@code presented} is exactly the secret; constant time in its content. */
    public boolean matches(final String presented) {
        return presented != null && MessageDigest.isEqual(digest, sha256(presented));
    }

    /** Where the secret is stored (may be shown; the secret itself never is). */
    public Path file() {
        return file;
    }

    @Override
    public String toString() {
        return "HashedSecretFile[" + file + "]";
    }

    private static void create(final Path file, final int randomBytes) throws IOException {
        final byte[] random = new byte[randomBytes];
        RANDOM.nextBytes(random);
        final byte[] text = Base64.getUrlEncoder().withoutPadding().encode(random);
        Arrays.fill(random, (byte) 0);
        try {
            SecretFiles.writeNew(file, text);
        } catch (FileAlreadyExistsException raced) {
            // another process created it first: use theirs
        } finally {
            Arrays.fill(text, (byte) 0);
        }
    }

    private static byte[] sha256(final String s) {
        final byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }
}
