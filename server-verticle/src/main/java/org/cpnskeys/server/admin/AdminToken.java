package org.cpnskeys.server.admin;

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

import org.cpnskeys.protocol.crypto.SecretFiles;

/**
 * The admin API's bearer token: 32 random bytes, base64url, generated at first start into an owner-only file
 * (so {@code curl -H "Authorization: Bearer $(cat admin.token)"} works). Only its SHA-256 is kept in memory, and
 * a presented token is compared by hash in constant time.
 */
public final class AdminToken {
    /** The token's file name in the server's data folder. */
    public static final String FILE = "admin.token";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] hash;

    private AdminToken(final byte[] hash) {
        this.hash = hash;
    }

    /** Reads the token in {@code file}, or generates one there (owner-only) on first use. Blocking. */
    public static AdminToken loadOrCreate(final Path file) throws IOException {
        if (!Files.exists(file)) {
            final byte[] raw = new byte[32];
            RANDOM.nextBytes(raw);
            final byte[] text = Base64.getUrlEncoder().withoutPadding().encodeToString(raw)
                    .getBytes(StandardCharsets.US_ASCII);
            Arrays.fill(raw, (byte) 0);
            try {
                SecretFiles.writeNew(file, text);
            } catch (FileAlreadyExistsException raced) {
                // another process made it meanwhile: read theirs
            } finally {
                Arrays.fill(text, (byte) 0);
            }
        }
        final String token = Files.readString(file, StandardCharsets.US_ASCII).strip();
        if (token.length() < 32) {
            throw new IOException(file + " does not hold an admin token (remove it to generate a new one)");
        }
        return new AdminToken(sha256(token));
    }

    /** Whether {@code presented} is the token; constant time in the presented value's content. */
    public boolean matches(final String presented) {
        return presented != null && MessageDigest.isEqual(hash, sha256(presented));
    }

    private static byte[] sha256(final String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "AdminToken[***]";
    }
}
