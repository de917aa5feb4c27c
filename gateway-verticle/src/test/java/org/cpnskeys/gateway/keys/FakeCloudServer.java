package org.cpnskeys.gateway.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;

import org.cpnskeys.gateway.credentials.UserCredentials;
import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.DigestAuthorization;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.KeyRelease;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.TraceParent;
import org.cpnskeys.protocol.WrappedKey;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.EuKeyWrap;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.X25519;
import org.cpnskeys.protocol.crypto.X25519PublicKey;

/**
 * The cloud as a gateway instance sees it, with a CPNS Server the test drives: the link records what the gateway
 * sends; the server's replies are made with the real digest and the real key wrapping (X25519, HKDF, AES-GCM), for
 * one user, and encoded as the server would send them.
 */
final class FakeCloudServer implements CloudLink {
    final MessageCodec codec = new MessageCodec();
    private final UserCredentials user;
    private final X25519.EphemeralKeyPair serverKeys = X25519.generate();
    private final List<KeyRequest> received = new ArrayList<>();
    private final List<Optional<TraceParent>> traceparents = new ArrayList<>();
    private boolean reachable = true;
    private Promise<Void> reconnected;
    private int nonces;
    /** Run as each request arrives, before it is recorded (what the test checks at that moment). */
    private java.util.function.Consumer<KeyRequest> onArrival = r -> { };

    FakeCloudServer(final UserCredentials user) {
        this.user = user;
    }

    @Override
    public synchronized Future<Void> send(final KeyRequest request) {
        if (!reachable) {
            return Future.failedFuture(new IllegalStateException("not connected to the cloud broker"));
        }
        onArrival.accept(request);
        received.add(request);
        return Future.succeededFuture();
    }

    private final List<KeyRelease> releases = new ArrayList<>();

    @Override
    public synchronized Future<Void> send(final KeyRelease release) {
        if (!reachable) {
            return Future.failedFuture(new IllegalStateException("not connected to the cloud broker"));
        }
        releases.add(release);
        return Future.succeededFuture();
    }

    synchronized List<KeyRelease> releases() {
        return List.copyOf(releases);
    }

    synchronized KeyRelease lastRelease() {
        if (releases.isEmpty()) {
            throw new AssertionError("the gateway sent no release to the cloud");
        }
        return releases.get(releases.size() - 1);
    }

    /** The server's challenge to a release. */
    Buffer challenge(final KeyRelease release, final String nonce) {
        return codec.encode(new Challenge(release.requestId(), release.entityId(), user.realm(), nonce, false));
    }

    /**
     * What the server does with an answered release: checks that the digest answer is the user's (method
     * KEY-RELEASE, the release's uri) and answers with {@code status}.
     */
    Buffer released(final KeyRelease answered, final int status, final String reason) {
        final DigestAuthorization auth = answered.authorization().orElseThrow(
                () -> new AssertionError("the release carries no digest answer"));
        assertEquals(DigestClient.uri(answered), auth.uri());
        assertEquals(DigestClient.response(user.ha1(), auth.nonce(), auth.nc(), auth.cnonce(), "auth",
                DigestClient.ha2(DigestClient.RELEASE_METHOD, auth.uri())), auth.response(),
                "the release's answer is made with the user's HA1 and the method KEY-RELEASE");
        return codec.encode(org.cpnskeys.protocol.StatusReport.of(java.util.Optional.of(answered.requestId()),
                java.util.Optional.of(answered.entityId()), status, reason));
    }

    @Override
    public synchronized Future<Void> send(final KeyRequest request, final Optional<TraceParent> traceparent) {
        traceparents.add(traceparent);
        return send(request);
    }

    /** The {@code traceparent} of each request the gateway sent, in order. */
    synchronized List<Optional<TraceParent>> traceparents() {
        return List.copyOf(traceparents);
    }

    /** Runs {@code check} as each request arrives, before it is recorded. */
    synchronized void onArrival(final java.util.function.Consumer<KeyRequest> check) {
        onArrival = check;
    }

    @Override
    public synchronized Future<Void> connected(final Duration max) {
        if (reachable) {
            return Future.succeededFuture();
        }
        reconnected = Promise.promise();
        return reconnected.future();
    }

    /** The cloud broker goes away: sending fails until {@link #reconnect}. */
    synchronized void disconnect() {
        reachable = false;
    }

    synchronized void reconnect() {
        reachable = true;
        if (reconnected != null) {
            reconnected.complete();
        }
    }

    synchronized List<KeyRequest> received() {
        return List.copyOf(received);
    }

    synchronized KeyRequest last() {
        if (received.isEmpty()) {
            throw new AssertionError("the gateway sent nothing to the cloud");
        }
        return received.get(received.size() - 1);
    }

    String newNonce() {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("nonce-" + ++nonces)
                .getBytes(StandardCharsets.US_ASCII));
    }

    /** The server's challenge to {@code request}. */
    Buffer challenge(final KeyRequest request, final String nonce, final boolean stale) {
        return codec.encode(new Challenge(request.requestId(), request.entityId(), user.realm(), nonce, stale));
    }

    /**
     * What the server does with an answered request: checks that the digest answer is the user's (HA1) for the
     * request and its epk, and wraps {@code euKey} for it.
     */
    Buffer deliver(final KeyRequest answered, final SecretBytes euKey) throws GeneralSecurityException {
        return codec.encode(KeyDelivery.wrapped(answered.requestId(), answered.entityId(), user.userId(),
                keyId(answered), wrap(answered, euKey)));
    }

    /** As {@link #deliver}, with one bit of the ciphertext flipped on the way (the GCM tag no longer verifies). */
    Buffer deliverTampered(final KeyRequest answered, final SecretBytes euKey) throws GeneralSecurityException {
        final WrappedKey w = wrap(answered, euKey);
        final byte[] ct = w.ciphertext();
        ct[0] ^= 1;
        return codec.encode(KeyDelivery.wrapped(answered.requestId(), answered.entityId(), user.userId(),
                keyId(answered), new WrappedKey(w.alg(), w.nonce(), w.cnonce(), w.epk(), w.iv(), ct)));
    }

    private static KeyId keyId(final KeyRequest request) {
        return KeyId.of("k-" + request.requestId().value());
    }

    private WrappedKey wrap(final KeyRequest answered, final SecretBytes euKey) throws GeneralSecurityException {
        final DigestAuthorization auth = answered.authorization().orElseThrow(
                () -> new AssertionError("the request carries no digest answer"));
        final X25519PublicKey epk = answered.epk().orElseThrow();
        assertEquals(DigestClient.keyRequestResponse(user.ha1(), answered.entityId(), answered.requestId(), epk,
                auth.nonce(), auth.nc(), auth.cnonce()), auth.response(), "the digest answer is made with the user's HA1");
        try (SecretBytes shared = serverKeys.agree(epk)) {
            return EuKeyWrap.wrap(euKey, user.ha1(), shared, new EuKeyWrap.Context(auth.nonce(), auth.cnonce(),
                    answered.entityId(), user.userId(), answered.requestId(), keyId(answered), epk,
                    serverKeys.publicKey()));
        }
    }
}
