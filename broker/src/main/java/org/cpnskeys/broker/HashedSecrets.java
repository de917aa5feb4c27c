package org.cpnskeys.broker;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.Map;

/**
 * Broker client secrets stored as SHA-256 hashes: name → SHA-256(secret).
 *
 * <p>A single unsalted SHA-256 only suits machine secrets (random tokens of 128 bits or more, as the gateways
 * and servers use); never store human-chosen passwords this way. The comparison is constant-time, and an unknown
 * name costs the same hash and comparison as a wrong password.
 */
public final class HashedSecrets implements ClientSecrets {
    private static final int SHA256_LENGTH = 32;
    private static final byte[] NO_SUCH_NAME = new byte[SHA256_LENGTH];

    private final Map<String, byte[]> hashes;

    private HashedSecrets(final Map<String, byte[]> hashes) {
        this.hashes = hashes;
    }

    /** Secrets from name → SHA-256 of the secret (32 bytes each; the arrays are copied). */
    public static HashedSecrets of(final Map<String, byte[]> sha256ByName) {
        if (sha256ByName == null) {
            throw new IllegalArgumentException("secrets map is missing");
        }
        final Map<String, byte[]> copy = new HashMap<>();
        sha256ByName.forEach((name, hash) -> {
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException("secret name is missing");
            }
            if (hash == null || hash.length != SHA256_LENGTH) {
                throw new IllegalArgumentException("secret of '" + name + "' is not a 32-byte SHA-256 hash");
            }
            copy.put(name, hash.clone());
        });
        return new HashedSecrets(Map.copyOf(copy));
    }

    /** SHA-256 of {@code secret}. */
    public static byte[] sha256(final byte[] secret) {
        if (secret == null) {
            throw new IllegalArgumentException("secret is missing");
        }
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    @Override
    public boolean verify(final String name, final byte[] password) {
        final byte[] expected = name == null ? null : hashes.get(name);
        final byte[] actual = sha256(password == null ? new byte[0] : password);
        final boolean equal = MessageDigest.isEqual(expected == null ? NO_SUCH_NAME : expected, actual);
        return equal && expected != null && password != null;
    }

    @Override
    public boolean knows(final String name) {
        return name != null && hashes.containsKey(name);
    }

    /** How many names are known. */
    public int size() {
        return hashes.size();
    }

    @Override
    public String toString() {
        return "HashedSecrets[" + hashes.size() + " names]";
    }
}
