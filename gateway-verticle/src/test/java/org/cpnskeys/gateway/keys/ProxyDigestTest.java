package org.cpnskeys.gateway.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.gateway.credentials.UserCredentials;
import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.CachingKeyPair;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.EuKeyWrap;
import org.cpnskeys.protocol.crypto.KeyCheckValue;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.X25519;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The proxy's digest and ephemeral key state, with real X25519 and the real wrapping on both sides. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ProxyDigestTest {
    private static final UserCredentials ALICE = new UserCredentials(UserId.of("alice"), "cpns",
            DigestClient.ha1("alice", "cpns", "secret".toCharArray()));
    private static final X25519.EphemeralKeyPair SERVER = X25519.generate();

    private static Challenge challenge(final String nonce) {
        return new Challenge(RequestId.of("r"), EntityId.of("e"), "cpns", nonce, false);
    }

    /** What the server does with an answered request: wraps a key for its epk (returns the delivery). */
    private static KeyDelivery serverDelivers(final KeyRequest answered, final SecretBytes euKey)
            throws GeneralSecurityException {
        final var auth = answered.authorization().orElseThrow();
        final KeyId keyId = KeyId.of("k-" + answered.requestId().value());
        try (SecretBytes shared = SERVER.agree(answered.epk().orElseThrow())) {
            return KeyDelivery.wrapped(answered.requestId(), answered.entityId(), ALICE.userId(), keyId,
                    EuKeyWrap.wrap(euKey, ALICE.ha1(), shared, new EuKeyWrap.Context(auth.nonce(), auth.cnonce(),
                            answered.entityId(), ALICE.userId(), answered.requestId(), keyId,
                            answered.epk().orElseThrow(), SERVER.publicKey())));
        }
    }

    @Test
    void answer_sameNonce_sameEpkAndIncreasingNc() {
        final ProxyDigest digest = new ProxyDigest();
        assertEquals(Optional.empty(), digest.answer(KeyRequest.proxy(RequestId.of("r0"), EntityId.of("e0"),
                Optional.empty()), ALICE));
        digest.accept(challenge("bm9uY2UtMQ"));
        final ProxyDigest.Answer a = digest.answer(KeyRequest.proxy(RequestId.of("r1"), EntityId.of("e1"),
                Optional.empty()).withUser(ALICE.userId()), ALICE).orElseThrow();
        final ProxyDigest.Answer b = digest.answer(KeyRequest.proxy(RequestId.of("r2"), EntityId.of("e2"),
                Optional.empty()).withUser(ALICE.userId()), ALICE).orElseThrow();
        assertEquals(a.request().epk(), b.request().epk());
        assertEquals("00000001", a.request().authorization().orElseThrow().nc());
        assertEquals("00000002", b.request().authorization().orElseThrow().nc());
        assertNotEquals(a.cnonce(), b.cnonce());
        assertEquals(DigestClient.uri(a.request()), a.request().authorization().orElseThrow().uri());
        digest.accept(challenge("bm9uY2UtMg"));
        final ProxyDigest.Answer c = digest.answer(KeyRequest.proxy(RequestId.of("r3"), EntityId.of("e3"),
                Optional.empty()).withUser(ALICE.userId()), ALICE).orElseThrow();
        assertNotEquals(a.request().epk(), c.request().epk(), "a new nonce brings a new ephemeral key");
    }

    @Test
    void open_answersOfManyReplacedNonces_stillOpenWithinTheRetention() throws GeneralSecurityException {
        // 32 requests challenged at once each bring a nonce: every answer in flight must still open
        final ProxyDigest digest = new ProxyDigest();
        final List<ProxyDigest.Answer> answers = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            digest.accept(challenge("bm9uY2Ut" + i));
            answers.add(digest.answer(KeyRequest.proxy(RequestId.of("r" + i), EntityId.of("e" + i), Optional.empty())
                    .withUser(ALICE.userId()), ALICE).orElseThrow());
        }
        digest.sweep();
        final SecretBytes euKey = SecretBytes.copyOf(new byte[32]);
        for (final ProxyDigest.Answer a : answers) {
            final Map<String, CachingKeyPair> cnonces = new HashMap<>(Map.of(a.cnonce(), a.keys()));
            final KeyDelivery clear = ProxyDigest.open(serverDelivers(a.request(), euKey), a.request(), ALICE, cnonces);
            assertEquals(KeyCheckValue.of(euKey), KeyCheckValue.of(clear.euKey().orElseThrow()));
        }
    }

    @Test
    void open_deliveryForACnonceThisRequestNeverSent_refused() throws GeneralSecurityException {
        final ProxyDigest digest = new ProxyDigest();
        digest.accept(challenge("bm9uY2UtMQ"));
        final ProxyDigest.Answer a = digest.answer(KeyRequest.proxy(RequestId.of("r1"), EntityId.of("e1"),
                Optional.empty()).withUser(ALICE.userId()), ALICE).orElseThrow();
        final KeyDelivery d = serverDelivers(a.request(), SecretBytes.copyOf(new byte[32]));
        assertThrows(GeneralSecurityException.class, () -> ProxyDigest.open(d, a.request(), ALICE, Map.of()));
    }

    @Test
    void close_zeroesEveryKeyPair_deliveriesNoLongerOpen() throws GeneralSecurityException {
        final ProxyDigest digest = new ProxyDigest();
        digest.accept(challenge("bm9uY2UtMQ"));
        final ProxyDigest.Answer a = digest.answer(KeyRequest.proxy(RequestId.of("r1"), EntityId.of("e1"),
                Optional.empty()).withUser(ALICE.userId()), ALICE).orElseThrow();
        digest.accept(challenge("bm9uY2UtMg"));
        final KeyDelivery d = serverDelivers(a.request(), SecretBytes.copyOf(new byte[32]));
        digest.close();
        assertThrows(GeneralSecurityException.class,
                () -> ProxyDigest.open(d, a.request(), ALICE, Map.of(a.cnonce(), a.keys())));
        assertTrue(a.keys().toString().contains("redacted"));
    }
}
