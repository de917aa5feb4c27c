package org.cpnskeys.protocol.crypto;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * X25519 key agreement (RFC 7748) for protocol version 2's forward secrecy, on BouncyCastle's constant-time
 * implementation ({@code org.bouncycastle.math.ec.rfc7748.X25519}; faster here than the JDK's XDH).
 * An {@link EphemeralKeyPair}'s private half never leaves this package; it is zeroed by {@code close()}.
 */
public final class X25519 {
    private static final SecureRandom RANDOM = new SecureRandom();

    static {
        org.bouncycastle.math.ec.rfc7748.X25519.precompute();
    }

    private X25519() {
    }

    /**
     * Loads BouncyCastle's precomputed tables (once per JVM, milliseconds): a role calls it off the event loop at
     * start, so that its first key pair, made on an event loop, does not pay for it there.
     */
    public static void warmUp() {
        // the class initialiser did the work
    }

    /** A fresh ephemeral key pair from the system's strong random source. */
    public static EphemeralKeyPair generate() {
        final byte[] k = new byte[org.bouncycastle.math.ec.rfc7748.X25519.SCALAR_SIZE];
        org.bouncycastle.math.ec.rfc7748.X25519.generatePrivateKey(RANDOM, k);
        return fromPrivate(k);
    }

    /** A key pair from a known private scalar (known-answer tests, the worked example); adopts the array. */
    public static EphemeralKeyPair fromPrivate(final byte[] scalar) {
        if (scalar.length != org.bouncycastle.math.ec.rfc7748.X25519.SCALAR_SIZE) {
            throw new IllegalArgumentException("an X25519 private key is 32 bytes");
        }
        final byte[] pub = new byte[X25519PublicKey.BYTES];
        org.bouncycastle.math.ec.rfc7748.X25519.generatePublicKey(scalar, 0, pub, 0);
        return new EphemeralKeyPair(SecretBytes.adopt(scalar), X25519PublicKey.of(pub));
    }

    /** One ephemeral key pair. Thread-safe; after {@link #close()} it agrees on nothing. */
    public static final class EphemeralKeyPair implements AutoCloseable {
        private final SecretBytes privateKey;
        private final X25519PublicKey publicKey;

        private EphemeralKeyPair(final SecretBytes privateKey, final X25519PublicKey publicKey) {
            this.privateKey = privateKey;
            this.publicKey = publicKey;
        }

        public X25519PublicKey publicKey() {
            return publicKey;
        }

        /**
         * The 32-byte shared secret with the peer's public key. Fails when the result is all zero (the peer
         * sent a low-order point: RFC 7748 section 6.1's check) or this key pair was closed.
         */
        public SecretBytes agree(final X25519PublicKey peer) throws GeneralSecurityException {
            final byte[] k;
            try {
                k = privateKey.reveal();
            } catch (IllegalStateException e) {
                throw new GeneralSecurityException("ephemeral key pair already closed");
            }
            final byte[] u = new byte[X25519PublicKey.BYTES];
            peer.copyTo(u);
            final byte[] shared = new byte[X25519PublicKey.BYTES];
            try {
                if (!org.bouncycastle.math.ec.rfc7748.X25519.calculateAgreement(k, 0, u, 0, shared, 0)) {
                    throw new GeneralSecurityException("X25519 shared secret is all zero (low-order public key)");
                }
                return SecretBytes.adopt(shared);
            } finally {
                Arrays.fill(k, (byte) 0);
            }
        }

        public boolean isClosed() {
            return privateKey.isDestroyed();
        }

        /** Zeroes the private half. */
        @Override
        public void close() {
            privateKey.destroy();
        }

        @Override
        public String toString() {
            return "EphemeralKeyPair[" + publicKey + ", private half redacted]";
        }
    }
}
