package org.cpnskeys.server.admin;

import java.io.IOException;
import java.nio.file.Path;

import org.cpnskeys.protocol.crypto.HashedSecretFile;

/**
 * The admin API's bearer token: 32 random bytes, base64url, generated at first start into an owner-only file
 * (so {@code curl -H "Authorization: Bearer $(cat admin.token)"} works). Only its SHA-256 is kept in memory, and
 * a presented token is compared by hash in constant time: the project's {@link HashedSecretFile}.
 */
public final class AdminToken {
    /** The token's file name in the server's data folder. */
    public static final String FILE = "admin.token";
    private static final int RANDOM_BYTES = 32;
    private static final int MIN_LENGTH = 32;

    private final HashedSecretFile token;

    private AdminToken(final HashedSecretFile token) {
        this.token = token;
    }

    /** Reads the token in {@code file}, or generates one there (owner-only) on first use. Blocking. */
    public static AdminToken loadOrCreate(final Path file) throws IOException {
        return new AdminToken(HashedSecretFile.loadOrCreate(file, RANDOM_BYTES, MIN_LENGTH, "an admin token"));
    }

    /** Whether {@code presented} is the token; constant time in the presented value's content. */
    public boolean matches(final String presented) {
        return token.matches(presented);
    }

    @Override
    public String toString() {
        return "AdminToken[***]";
    }
}
