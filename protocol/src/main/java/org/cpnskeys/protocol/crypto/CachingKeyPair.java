package org.cpnskeys.protocol.crypto;

import java.security.GeneralSecurityException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A requester's ephemeral X25519 key pair that serves many Key Requests (the gateway as proxy keeps one per
 * digest nonce), remembering the shared secret with each server key it met: a server keeps one key per
 * rotation window, so a handful at most ({@link #MAX_PEERS}, least recently used dropped and zeroed first).
 * {@link #close()} zeroes the private key and every secret. Thread-safe.
 */
public final class CachingKeyPair implements AutoCloseable {
    public static final int MAX_PEERS = 8;
    private final X25519.EphemeralKeyPair pair;
    private final LinkedHashMap<X25519PublicKey, SecretBytes> shared = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(final Map.Entry<X25519PublicKey, SecretBytes> eldest) {
            if (size() > MAX_PEERS) {
                eldest.getValue().destroy();
                return true;
            }
            return false;
        }
    };

    private CachingKeyPair(final X25519.EphemeralKeyPair pair) {
        this.pair = pair;
    }

    /** A fresh key pair. */
    public static CachingKeyPair generate() {
        return new CachingKeyPair(X25519.generate());
    }

    public X25519PublicKey publicKey() {
        return pair.publicKey();
    }

    /** The shared secret with a peer's public key: the caller's copy, which it closes. */
    public synchronized SecretBytes sharedWith(final X25519PublicKey peer) throws GeneralSecurityException {
        SecretBytes s = shared.get(peer);
        if (s == null) {
            s = pair.agree(peer);
            shared.put(peer, s);
        }
        return SecretBytes.adopt(s.reveal());
    }

    @Override
    public synchronized void close() {
        pair.close();
        shared.values().forEach(SecretBytes::destroy);
        shared.clear();
    }

    @Override
    public String toString() {
        return "CachingKeyPair[" + pair.publicKey() + ", private half redacted]";
    }
}
