package org.cpnskeys.server;

import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.X25519;
import org.cpnskeys.protocol.crypto.X25519PublicKey;

/**
 * The server's half of protocol v2's key agreement: one ephemeral X25519 key pair per rotation window, and
 * per window the shared secret with each requester's ephemeral key (a gateway keeps one key per digest nonce,
 * so its many requests under one nonce cost one agreement). At the end of a window its private key and every
 * cached shared secret are zeroed and dropped, which is what bounds forward secrecy: once a window is over,
 * nothing on the server can open a key wrapped in it. The cache is bounded; an evicted secret is zeroed.
 * A miss runs the agreement on a worker thread, never on the event loop. Thread-safe.
 */
public final class KeyAgreementCache {
    /** How long one server key pair serves; see PROTOCOL.md section 10 ("forward secrecy window"). */
    public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(1);
    /** How many requester keys one window remembers (the least recently used one is dropped first). */
    public static final int DEFAULT_MAX_PEERS = 10_000;

    private final Vertx vertx;
    private final Clock clock;
    private final long windowMillis;
    private final int maxPeers;
    private volatile Window window;

    /** The server's public key to send, and the shared secret (the caller's copy: it closes it). */
    public record Agreement(X25519PublicKey serverEpk, SecretBytes shared) {
    }

    public KeyAgreementCache(final Vertx vertx, final Duration window, final int maxPeers, final Clock clock) {
        if (window.isNegative() || window.isZero() || maxPeers < 1) {
            throw new IllegalArgumentException("the key agreement window and cache size must be positive");
        }
        this.vertx = vertx;
        this.clock = clock;
        this.windowMillis = window.toMillis();
        this.maxPeers = maxPeers;
        this.window = new Window(X25519.generate(), clock.millis(), maxPeers);
    }

    /** The agreement with a requester's ephemeral key; fails on a low-order key (all-zero secret). */
    public Future<Agreement> agree(final X25519PublicKey requesterEpk) {
        final Window w = current();
        final Agreement hit = w.cached(requesterEpk);
        if (hit != null) {
            return Future.succeededFuture(hit);
        }
        return vertx.executeBlocking(() -> compute(w, requesterEpk), false);
    }

    private Agreement compute(final Window w, final X25519PublicKey requesterEpk) throws GeneralSecurityException {
        try {
            return w.computeAndCache(requesterEpk);
        } catch (GeneralSecurityException e) {
            if (!w.keys.isClosed()) {
                throw e;
            }
            return current().computeAndCache(requesterEpk); // the window ended meanwhile: use the new one
        }
    }

    /** Starts a new window when the current one is over, zeroing the old one's keys and secrets. */
    public void rotateIfDue() {
        current();
    }

    /** The current server public key (for tests and metrics). */
    public X25519PublicKey currentPublicKey() {
        return current().keys.publicKey();
    }

    /** Zeroes everything (server shutdown). */
    public void close() {
        window.close();
    }

    private Window current() {
        final Window w = window;
        final long now = clock.millis();
        if (now - w.started < windowMillis) {
            return w;
        }
        final Window next;
        synchronized (this) {
            if (window != w) {
                return window;
            }
            next = new Window(X25519.generate(), now, maxPeers);
            window = next;
        }
        w.close();
        return next;
    }

    /** One window: its key pair and the shared secrets computed with it. */
    private static final class Window {
        final X25519.EphemeralKeyPair keys;
        final long started;
        private final LinkedHashMap<X25519PublicKey, SecretBytes> secrets;
        private boolean closed;

        Window(final X25519.EphemeralKeyPair keys, final long started, final int maxPeers) {
            this.keys = keys;
            this.started = started;
            this.secrets = new LinkedHashMap<>(64, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(final Map.Entry<X25519PublicKey, SecretBytes> eldest) {
                    if (size() > maxPeers) {
                        eldest.getValue().destroy();
                        return true;
                    }
                    return false;
                }
            };
        }

        synchronized Agreement cached(final X25519PublicKey peer) {
            final SecretBytes s = closed ? null : secrets.get(peer);
            return s == null ? null : new Agreement(keys.publicKey(), SecretBytes.adopt(s.reveal()));
        }

        Agreement computeAndCache(final X25519PublicKey peer) throws GeneralSecurityException {
            final SecretBytes shared = keys.agree(peer);
            synchronized (this) {
                if (!closed) {
                    final SecretBytes old = secrets.put(peer, SecretBytes.adopt(shared.reveal()));
                    if (old != null) {
                        old.destroy();
                    }
                }
            }
            return new Agreement(keys.publicKey(), shared);
        }

        synchronized void close() {
            closed = true;
            keys.close();
            secrets.values().forEach(SecretBytes::destroy);
            secrets.clear();
        }
    }
}
