package org.cpnskeys.gateway.keys;

import java.security.GeneralSecurityException;
import java.util.Map;
import java.util.Optional;

import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyRelease;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.WrappedKey;
import org.cpnskeys.protocol.crypto.CachingKeyPair;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.EuKeyWrap;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.gateway.credentials.UserCredentials;

/**
 * The gateway's digest state as proxy (F5): the server's current nonce, reused with an increasing nonce
 * count so that after the first PNE a key costs one cloud round trip, and a fresh cnonce per answer; and, for
 * protocol v2, one ephemeral X25519 key pair per nonce (every request answered with that nonce carries its
 * public key; each KEK still differs by cnonce and request ID). When a new nonce replaces it, a key pair is kept
 * {@link #RETIRED_KEEP} longer for the answers still in flight (many requests challenged at once each bring a
 * nonce), then zeroed.
 * Shared by the gateway's verticle instances (thread-safe): every instance uses the one nonce and each nonce count
 * is taken once (the server refuses a reused (nonce, nc) pair, not one out of order).
 */
final class ProxyDigest {
    private static final long MAX_NC = 0xffffffffL;
    /** How long a replaced nonce's key pair still opens the deliveries of answers sent with it. */
    static final java.time.Duration RETIRED_KEEP = java.time.Duration.ofMinutes(2);
    private String nonce;
    private long nc;
    private CachingKeyPair keys;
    private final java.util.ArrayDeque<Retired> retired = new java.util.ArrayDeque<>();

    private record Retired(CachingKeyPair keys, long sinceNanos) {
    }

    /** A request with its digest answer, the cnonce the answer used and the key pair of its epk. */
    record Answer(KeyRequest request, String nonce, String cnonce, CachingKeyPair keys) {
    }

    /** Answers with the cached nonce, if there is one. */
    Optional<Answer> answer(final KeyRequest request, final UserCredentials credentials) {
        final String nonce;
        final long nc;
        final CachingKeyPair keys;
        synchronized (this) {
            if (this.nonce == null || this.nc >= MAX_NC) {
                return Optional.empty();
            }
            nonce = this.nonce;
            nc = ++this.nc;
            keys = this.keys;
        }
        final String cnonce = DigestClient.cnonce();
        final KeyRequest answered = DigestClient.answer(request, credentials.userId().value(), credentials.ha1(),
                credentials.realm(), keys.publicKey(), nonce, DigestClient.nc(nc), cnonce);
        return Optional.of(new Answer(answered, nonce, cnonce, keys));
    }

    /** Answers a release with the cached nonce and its next count, if there is a nonce (method KEY-RELEASE). */
    Optional<KeyRelease> answer(final KeyRelease release, final UserCredentials credentials) {
        final String nonce;
        final long nc;
        synchronized (this) {
            if (this.nonce == null || this.nc >= MAX_NC) {
                return Optional.empty();
            }
            nonce = this.nonce;
            nc = ++this.nc;
        }
        return Optional.of(DigestClient.answer(release.withoutAuthorization(), credentials.userId().value(),
                credentials.ha1(), credentials.realm(), nonce, DigestClient.nc(nc), DigestClient.cnonce()));
    }

    /** Takes the nonce of a challenge (a fresh one, or a stale replacement), with a new ephemeral key pair. */
    void accept(final Challenge challenge) {
        synchronized (this) {
            if (challenge.nonce().equals(nonce)) {
                return; // the nonce in use (another instance took it already): its counts must not start again
            }
            nonce = challenge.nonce();
            nc = 0;
            if (keys != null) {
                retired.addLast(new Retired(keys, System.nanoTime()));
            }
            keys = CachingKeyPair.generate();
        }
        sweep();
    }

    /** Zeroes the key pairs retired more than {@link #RETIRED_KEEP} ago. */
    void sweep() {
        final long now = System.nanoTime();
        final java.util.List<CachingKeyPair> done = new java.util.ArrayList<>();
        synchronized (this) {
            while (!retired.isEmpty() && now - retired.peekFirst().sinceNanos() > RETIRED_KEEP.toNanos()) {
                done.add(retired.pollFirst().keys());
            }
        }
        done.forEach(CachingKeyPair::close);
    }

    /**
     * Opens the server's Key Delivery for a proxied request (F8): the wrapped key must answer one of the
     * request's digest answers ({@code cnonces}: cnonce to the key pair its epk came from) for the gateway's
     * user; then the KEK comes from HA1 and the X25519 secret with the server's epk. Returns the delivery for
     * the PNE, with the EUKey in clear.
     */
    static KeyDelivery open(final KeyDelivery d, final KeyRequest request, final UserCredentials creds,
            final Map<String, CachingKeyPair> cnonces) throws GeneralSecurityException {
        final WrappedKey wrapped = d.wrappedKey().orElseThrow(() -> new GeneralSecurityException("no wrapped key"));
        final CachingKeyPair keys = cnonces.get(wrapped.cnonce());
        if (keys == null || !d.userId().orElseThrow().equals(creds.userId())) {
            throw new GeneralSecurityException("Key Delivery does not answer this gateway's request");
        }
        final EuKeyWrap.Context ctx = new EuKeyWrap.Context(wrapped.nonce(), wrapped.cnonce(), request.entityId(),
                creds.userId(), request.requestId(), d.keyId().orElseThrow(), keys.publicKey(), wrapped.epk());
        try (SecretBytes shared = keys.sharedWith(wrapped.epk())) {
            return KeyDelivery.clear(request.requestId(), request.entityId(), creds.userId(), d.keyId().get(),
                    EuKeyWrap.unwrap(wrapped, creds.ha1(), shared, ctx));
        }
    }

    /** Zeroes every key pair (gateway shutdown). */
    synchronized void close() {
        if (keys != null) {
            keys.close();
        }
        retired.forEach(r -> r.keys().close());
        retired.clear();
        nonce = null;
    }
}
