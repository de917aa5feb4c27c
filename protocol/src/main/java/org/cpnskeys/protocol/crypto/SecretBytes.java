package org.cpnskeys.protocol.crypto;

import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Secret key material. Immutable from the outside, compared in constant time, never printed, and zeroed by
 * {@link #destroy()} when its owner is done with it. {@link #reveal()} hands out a copy that the caller
 * must zero; grep for it to find every place a secret leaves this type.
 */
public final class SecretBytes implements AutoCloseable {
    private final byte[] bytes;
    private volatile boolean destroyed;

    private SecretBytes(final byte[] bytes) {
        this.bytes = bytes;
    }

    /** Copies the given bytes; the caller may (and should) zero its own array afterwards. */
    public static SecretBytes copyOf(final byte[] bytes) {
        return new SecretBytes(bytes.clone());
    }

    /** Takes ownership of the array without copying (the caller must not keep a reference). */
    public static SecretBytes adopt(final byte[] bytes) {
        return new SecretBytes(bytes);
    }

    public int length() {
        return bytes.length;
    }

    /** A copy of the secret bytes. The caller zeroes it when done ({@link Arrays#fill(byte[], byte)}). */
    public byte[] reveal() {
        if (destroyed) {
            throw new IllegalStateException("secret destroyed");
        }
        return bytes.clone();
    }

    /** Constant-time comparison. */
    public boolean equalsSecret(final SecretBytes other) {
        return other != null && MessageDigest.isEqual(bytes, other.bytes);
    }

    /** Zeroes the bytes; the object is unusable afterwards. */
    public void destroy() {
        destroyed = true;
        Arrays.fill(bytes, (byte) 0);
    }

    @Override
    public void close() {
        destroy();
    }

    public boolean isDestroyed() {
        return destroyed;
    }

    @Override
    public String toString() {
        return "SecretBytes[" + bytes.length + " bytes, redacted]";
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof SecretBytes s && equalsSecret(s);
    }

    @Override
    public int hashCode() {
        return bytes.length;
    }
}
