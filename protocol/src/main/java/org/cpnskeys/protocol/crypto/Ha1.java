package org.cpnskeys.protocol.crypto;

import java.util.HexFormat;

/**
 * HA1 = MD5(user:realm:password), the "hashed password" of the seed: what the htdigest file stores, what the
 * gateway keeps instead of the password, and the input keying material of the EUKey's key-encryption key.
 */
public final class Ha1 implements AutoCloseable {
    private final SecretBytes bytes;

    private Ha1(final SecretBytes bytes) {
        if (bytes.length() != 16) {
            throw new IllegalArgumentException("HA1 must be 16 bytes");
        }
        this.bytes = bytes;
    }

    static Ha1 adopt(final byte[] digest) {
        return new Ha1(SecretBytes.adopt(digest));
    }

    /** Parses the 32 hex digits of an htdigest entry (either case). */
    public static Ha1 fromHex(final String hex) {
        if (hex == null || hex.length() != 32) {
            throw new IllegalArgumentException("HA1 must be 32 hex digits");
        }
        try {
            return new Ha1(SecretBytes.adopt(HexFormat.of().parseHex(hex)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("HA1 must be 32 hex digits");
        }
    }

    /** Lower-case hex, as digest computations and htdigest files use. Secret: never log it. */
    public String hex() {
        final byte[] b = bytes.reveal();
        try {
            return HexFormat.of().formatHex(b);
        } finally {
            java.util.Arrays.fill(b, (byte) 0);
        }
    }

    /** A copy of the 16 raw bytes; the caller zeroes it. */
    public byte[] reveal() {
        return bytes.reveal();
    }

    public boolean equalsHa1(final Ha1 other) {
        return other != null && bytes.equalsSecret(other.bytes);
    }

    public void destroy() {
        bytes.destroy();
    }

    @Override
    public void close() {
        destroy();
    }

    @Override
    public String toString() {
        return "Ha1[redacted]";
    }
}
