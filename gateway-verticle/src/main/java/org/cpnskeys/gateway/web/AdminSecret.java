package org.cpnskeys.gateway.web;

import java.io.IOException;
import java.nio.file.Path;

import org.cpnskeys.protocol.crypto.HashedSecretFile;

/**
 * The local admin secret of the approval page: 24 random characters generated at the gateway's first start and
 * stored owner-only (0600), kept in memory only as its SHA-256 and checked in constant time: the project's
 * {@link HashedSecretFile}, forgiving white space around a typed secret (a pasted newline). {@link #toString()}
 * never shows it.
 */
public final class AdminSecret {
    /** Random bytes in a new secret (24 characters in base64url). */
    static final int RANDOM_BYTES = 18;
    private static final int MIN_LENGTH = 16;

    private final HashedSecretFile secret;

    private AdminSecret(final HashedSecretFile secret) {
        this.secret = secret;
    }

    /** Reads the secret in {@code file}, or creates it (owner-only) on first start. Blocking. */
    public static AdminSecret loadOrCreate(final Path file) throws IOException {
        return new AdminSecret(HashedSecretFile.loadOrCreate(file, RANDOM_BYTES, MIN_LENGTH, "an admin secret"));
    }

    /** Whether {@code typed} is the secret; constant time in its content. */
    public boolean matches(final String typed) {
        return typed != null && secret.matches(typed.strip());
    }

    /** Where the secret is stored (shown to the user; the secret itself never is). */
    public Path file() {
        return secret.file();
    }

    @Override
    public String toString() {
        return "AdminSecret[" + secret.file() + "]";
    }
}
