package org.cpnskeys.protocol.crypto;

import java.util.Arrays;
import java.util.Base64;

/**
 * An ephemeral X25519 public key (RFC 7748) as it travels in {@code epk}: 32 bytes, base64url without padding,
 * so always 43 characters. Parsing is strict and canonical: another length, another alphabet, padding, or
 * non-zero unused low bits in the last character are refused, so one key has exactly one text.
 */
public final class X25519PublicKey {
    public static final int BYTES = 32;
    public static final int TEXT_LENGTH = 43;
    private static final Base64.Encoder ENC = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DEC = Base64.getUrlDecoder();

    private final byte[] bytes;
    private final String text;

    private X25519PublicKey(final byte[] bytes, final String text) {
        this.bytes = bytes;
        this.text = text;
    }

    /** The key of the given 32 bytes (copied). */
    public static X25519PublicKey of(final byte[] bytes) {
        if (bytes == null || bytes.length != BYTES) {
            throw new IllegalArgumentException("an X25519 public key is " + BYTES + " bytes");
        }
        final byte[] copy = bytes.clone();
        return new X25519PublicKey(copy, ENC.encodeToString(copy));
    }

    /** Parses the wire form; the message names {@code what} (the field) and says what is expected. */
    public static X25519PublicKey parse(final String text, final String what) {
        final String expected = what + " must be an X25519 public key: 32 bytes in base64url without padding"
                + " (43 characters)";
        if (text == null || text.length() != TEXT_LENGTH) {
            throw new IllegalArgumentException(expected);
        }
        for (int i = 0; i < TEXT_LENGTH; i++) {
            final char c = text.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
                throw new IllegalArgumentException(expected);
            }
        }
        final byte[] raw = DEC.decode(text);
        if (raw.length != BYTES || !ENC.encodeToString(raw).equals(text)) {
            throw new IllegalArgumentException(expected + ", canonical (unused bits zero)");
        }
        return new X25519PublicKey(raw, text);
    }

    /** A copy of the 32 bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    void copyTo(final byte[] out) {
        System.arraycopy(bytes, 0, out, 0, BYTES);
    }

    /** The wire form: base64url without padding, 43 characters. */
    public String text() {
        return text;
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof X25519PublicKey k && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
