package org.cpnskeys.server;

import static org.cpnskeys.server.ReleaseTestServer.ALICE;
import static org.cpnskeys.server.ReleaseTestServer.ALICE_PASSWORD;
import static org.cpnskeys.server.ReleaseTestServer.BOB;
import static org.cpnskeys.server.ReleaseTestServer.BOB_PASSWORD;
import static org.cpnskeys.server.ReleaseTestServer.POLICY;
import static org.cpnskeys.server.ReleaseTestServer.REALM;
import static org.cpnskeys.server.ReleaseTestServer.assertStatus;
import static org.cpnskeys.server.TestFutures.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;


import org.junit.jupiter.api.Test;

import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.DigestAuthorization;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyRelease;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.protocol.crypto.X25519;
import org.cpnskeys.server.store.KeyState;

/**
 * An attacker against the owner's release (PROTOCOL.md 8.2, 6.1a): who holds a digest answer made for one method
 * tries it for the other; who guesses a password switches between Key Requests and releases to get more tries;
 * a stranger with a valid account releases someone else's device. Real store, digest and nonces
 * ({@link ReleaseTestServer}).
 */
class KeyReleaseAttackTest extends ReleaseServerCase {
    private static final EntityId PNE = EntityId.of("sensor-1");


    private void assertStillAlices() {
        assertEquals(KeyState.ACTIVE, await(server.store.findActive(PNE)).orElseThrow().state());
        assertEquals(ALICE, await(server.store.findActive(PNE)).orElseThrow().userId());
    }

    @Test
    void aKeyRequestAnswer_presentedAsARelease_isRefused401AndReleasesNothing() {
        server.assign(PNE, ALICE, ALICE_PASSWORD);
        final KeyRequest request = server.answered(server.keyRequest(PNE, ALICE), ALICE, ALICE_PASSWORD);
        final DigestAuthorization stolen = request.authorization().orElseThrow();
        // the same Request ID, the Key Request's answer verbatim
        final KeyRelease forged = new KeyRelease(request.requestId(), PNE, true, java.util.Optional.of(ALICE),
                java.util.Optional.of(stolen));
        assertStatus(server.handle(forged), Status.UNAUTHORIZED);
        // and with the uri rewritten to a release's: the method KEY-RELEASE makes the response wrong
        final KeyRelease rewritten = forged.withAuthorization(new DigestAuthorization(stolen.username(),
                stolen.realm(), stolen.nonce(), DigestClient.uri(forged), stolen.qop(), stolen.nc(), stolen.cnonce(),
                stolen.response()));
        assertStatus(server.handle(rewritten), Status.UNAUTHORIZED);
        assertStillAlices();
    }

    @Test
    void aReleaseAnswer_presentedAsAKeyRequest_isRefused401AndDeliversNothing() {
        final KeyRelease release = server.answered(server.release(PNE, ALICE), ALICE, ALICE_PASSWORD);
        final DigestAuthorization stolen = release.authorization().orElseThrow();
        final X25519.EphemeralKeyPair keys = X25519.generate();
        final KeyRequest forged = KeyRequest.proxy(release.requestId(), PNE, java.util.Optional.empty())
                .withAuthorization(stolen, keys.publicKey());
        assertEquals(Status.UNAUTHORIZED, assertInstanceOf(KeyDelivery.class, server.handle(forged)).status());
        final KeyRequest rewritten = KeyRequest.proxy(release.requestId(), PNE, java.util.Optional.empty())
                .withAuthorization(new DigestAuthorization(stolen.username(), stolen.realm(), stolen.nonce(),
                        DigestClient.uri(PNE, release.requestId(), keys.publicKey()), stolen.qop(), stolen.nc(),
                        stolen.cnonce(), stolen.response()), keys.publicKey());
        final KeyDelivery refused = assertInstanceOf(KeyDelivery.class, server.handle(rewritten));
        assertEquals(Status.UNAUTHORIZED, refused.status());
        assertEquals(java.util.Optional.empty(), await(server.store.findActive(PNE)), "no key was created");
    }

    @Test
    void aReleaseAnswer_reattachedToAnotherEntityOfTheSameOwner_isRefused401() {
        final EntityId other = EntityId.of("sensor-2");
        server.assign(PNE, ALICE, ALICE_PASSWORD);
        server.assign(other, ALICE, ALICE_PASSWORD);
        // a release answer alice's gateway made for sensor-1, taken off the wire and sent for sensor-2
        final KeyRelease forSensor1 = server.answered(server.release(PNE, ALICE), ALICE, ALICE_PASSWORD);
        final KeyRelease moved = new KeyRelease(forSensor1.requestId(), other, true, java.util.Optional.of(ALICE),
                forSensor1.authorization());
        assertStatus(server.handle(moved), Status.UNAUTHORIZED);
        assertEquals(KeyState.ACTIVE, await(server.store.findActive(other)).orElseThrow().state());
    }

    @Test
    void aNonceCountUsedByAKeyRequest_isAReplayForARelease_andTheReverse() {
        // alice's gateway answers a Key Request and then a release with one nonce: the release must take nc 2
        final KeyRequest first = server.keyRequest(PNE, ALICE);
        final String nonce = assertInstanceOf(Challenge.class, server.handle(first)).nonce();
        final Ha1 ha1 = DigestClient.ha1(ALICE.value(), REALM, ALICE_PASSWORD);
        assertEquals(Status.OK, assertInstanceOf(KeyDelivery.class, server.handle(DigestClient.answer(first,
                ALICE.value(), ha1, REALM, X25519.generate().publicKey(), nonce, DigestClient.nc(1),
                DigestClient.cnonce()))).status());
        final KeyRelease release = server.release(PNE, ALICE);
        assertEquals("nonce count already used", assertStatus(server.handle(DigestClient.answer(release,
                ALICE.value(), ha1, REALM, nonce, DigestClient.nc(1), DigestClient.cnonce())), Status.UNAUTHORIZED)
                .reason());
        assertStillAlices();
        assertStatus(server.handle(DigestClient.answer(release, ALICE.value(), ha1, REALM, nonce, DigestClient.nc(2),
                DigestClient.cnonce())), Status.OK);
        final KeyRequest next = server.keyRequest(PNE, ALICE);
        assertEquals("nonce count already used", assertInstanceOf(KeyDelivery.class, server.handle(
                DigestClient.answer(next, ALICE.value(), ha1, REALM, X25519.generate().publicKey(), nonce,
                        DigestClient.nc(2), DigestClient.cnonce()))).reason().orElseThrow());
    }

    @Test
    void guessesSpreadOverReleasesAndKeyRequests_countTogether_andLockBothOut() {
        server.assign(PNE, ALICE, ALICE_PASSWORD);
        for (int i = 0; i < POLICY.pairLimit(); i++) {
            final char[] guess = ("guess-" + i).toCharArray();
            if (i % 2 == 0) {
                assertStatus(server.handle(server.answered(server.release(PNE, ALICE), ALICE, guess)),
                        Status.UNAUTHORIZED);
            } else {
                assertEquals(Status.UNAUTHORIZED, assertInstanceOf(KeyDelivery.class, server.handle(
                        server.answered(server.keyRequest(PNE, ALICE), ALICE, guess))).status());
            }
        }
        // locked out for both message types, even with the right password
        assertStatus(server.handle(server.answered(server.release(PNE, ALICE), ALICE, ALICE_PASSWORD)),
                Status.TOO_MANY_REQUESTS);
        assertEquals(Status.TOO_MANY_REQUESTS, assertInstanceOf(KeyDelivery.class, server.handle(
                server.answered(server.keyRequest(PNE, ALICE), ALICE, ALICE_PASSWORD))).status());
        assertStillAlices();
    }

    @Test
    void aStrangerWithAValidAccount_cannotReleaseTheOwnersDevice() {
        server.assign(PNE, ALICE, ALICE_PASSWORD);
        assertStatus(server.handle(server.answered(server.release(PNE, BOB), BOB, BOB_PASSWORD)), Status.CONFLICT);
        // nor by naming the owner in userId while answering with his own credentials
        final KeyRelease asAlice = server.release(PNE, ALICE);
        final String nonce = assertInstanceOf(Challenge.class, server.handle(asAlice)).nonce();
        final KeyRelease answeredAsBob = DigestClient.answer(server.release(PNE, BOB), BOB.value(),
                DigestClient.ha1(BOB.value(), REALM, BOB_PASSWORD), REALM, nonce, DigestClient.nc(1),
                DigestClient.cnonce());
        assertStatus(server.handle(answeredAsBob), Status.CONFLICT);
        assertStillAlices();
    }
}
