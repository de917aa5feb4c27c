package org.cpnskeys.gateway.web;

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

import org.cpnskeys.protocol.crypto.SecretFiles;

/**
 * The local admin secret of the approval page: 24 random characters generated at the gateway's first start and
 * stored owner-only (0600) through {@link SecretFiles}. Only its SHA-256 is kept in memory; a typed secret is
 * checked by comparing SHA-256 digests with {@link MessageDigest#isEqual} (constant time). {@link #toString()}
 * never shows it.
 */
public final class AdminSecret {
    /** Random bytes in a new secret (24 characters in base64url). */
    static final int RANDOM_BYTES = 18;

    private final Path file;
    private final byte[] digest;

    private AdminSecret(final Path file, final byte[] digest) {
        this.file = file;
        this.digest = digest;
    }

    /** Reads the secret in {@code file}, or creates it (owner-only) on first start. Blocking. */
    public static AdminSecret loadOrCreate(final Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        if (!Files.exists(file)) {
            final byte[] random = new byte[RANDOM_BYTES];
            new SecureRandom().nextBytes(random);
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
        final byte[] content = Files.readAllBytes(file);
        try {
            final String text = new String(content, StandardCharsets.UTF_8).strip();
            if (text.length() < 16) {
                throw new IOException("admin secret file " + file + " holds fewer than 16 characters"
                        + " (remove it to generate a new one)");
            }
            return new AdminSecret(file, sha256(text.getBytes(StandardCharsets.UTF_8)));
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    /** Whether {@code typed} is the secret; constant time in its content. */
    public boolean matches(final String typed) {
        if (typed == null) {
            return false;
        }
        return MessageDigest.isEqual(digest, sha256(typed.strip().getBytes(StandardCharsets.UTF_8)));
    }

    /** Where the secret is stored (shown to the user; the secret itself never is). */
    public Path file() {
        return file;
    }

    @Override
    public String toString() {
        return "AdminSecret[" + file + "]";
    }

    private static byte[] sha256(final byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }
}
