package org.cpnskeys.server;

import static org.cpnskeys.server.ReleaseTestServer.ALICE;
import static org.cpnskeys.server.ReleaseTestServer.ALICE_PASSWORD;
import static org.cpnskeys.server.ReleaseTestServer.BOB;
import static org.cpnskeys.server.ReleaseTestServer.BOB_PASSWORD;
import static org.cpnskeys.server.ReleaseTestServer.GW;
import static org.cpnskeys.server.ReleaseTestServer.REALM;
import static org.cpnskeys.server.ReleaseTestServer.assertStatus;
import static org.cpnskeys.server.TestFutures.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyRelease;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.server.store.KeyInfo;
import org.cpnskeys.server.store.KeyState;

/**
 * Each decision of {@link KeyReleaseService} (PROTOCOL.md 6.1a) on a real store, realm, nonces and digest, with the
 * Key Requests of the same server ({@link ReleaseTestServer}).
 */
class KeyReleaseServiceTest extends ReleaseServerCase {
    private static final EntityId PNE = EntityId.of("sensor-1");


    @Test
    void releaseWithoutAnswer_challengedWithTheRealmAndANonceOfTheGateway() {
        final KeyRelease release = server.release(PNE, ALICE);
        final Challenge c = assertInstanceOf(Challenge.class, server.handle(release));
        assertEquals(release.requestId(), c.requestId());
        assertEquals(REALM, c.realm());
        assertFalse(c.stale());
    }

    @Test
    void theOwnersRelease_marksTheKeyReleasedDurably_thenAnotherUserClaimsTheEntity() {
        final KeyDelivery alices = server.assign(PNE, ALICE, ALICE_PASSWORD);
        assertStatus(server.handle(server.answered(server.release(PNE, ALICE), ALICE, ALICE_PASSWORD)), Status.OK);
        final List<KeyInfo> keys = await(server.store.list());
        assertEquals(KeyState.RELEASED, keys.get(0).state());
        assertEquals(alices.keyId().orElseThrow(), keys.get(0).keyId());
        final KeyDelivery bobs = server.assign(PNE, BOB, BOB_PASSWORD);
        assertNotEquals(alices.keyId(), bobs.keyId());
        assertEquals(BOB, await(server.store.findActive(PNE)).orElseThrow().userId());
    }

    @Test
    void theOwnersRelease_ofARevokedKey_releasesIt() {
        server.assign(PNE, ALICE, ALICE_PASSWORD);
        await(server.store.revoke(PNE));
        assertStatus(server.handle(server.answered(server.release(PNE, ALICE), ALICE, ALICE_PASSWORD)), Status.OK);
        assertEquals(KeyState.RELEASED, await(server.store.list()).get(0).state());
    }

    @Test
    void anotherUsersRelease_refused409AsForAKeyRequest_andTheKeyStaysActive() {
        server.assign(PNE, ALICE, ALICE_PASSWORD);
        assertEquals("entity is assigned to another user", assertStatus(server.handle(
                server.answered(server.release(PNE, BOB), BOB, BOB_PASSWORD)), Status.CONFLICT).reason());
        assertEquals(ALICE, await(server.store.findActive(PNE)).orElseThrow().userId());
    }

    @Test
    void releaseOfAnEntityWithoutKey_refused404_andAgainAfterARelease() {
        assertEquals("no key to release for this entity", assertStatus(server.handle(
                server.answered(server.release(PNE, ALICE), ALICE, ALICE_PASSWORD)), Status.NOT_FOUND).reason());
        server.assign(PNE, ALICE, ALICE_PASSWORD);
        assertStatus(server.handle(server.answered(server.release(PNE, ALICE), ALICE, ALICE_PASSWORD)), Status.OK);
        assertStatus(server.handle(server.answered(server.release(PNE, ALICE), ALICE, ALICE_PASSWORD)),
                Status.NOT_FOUND);
    }

    @Test
    void wrongPassword_refused401_failureCountedAndTheKeyStaysActive() {
        server.assign(PNE, ALICE, ALICE_PASSWORD);
        assertStatus(server.handle(server.answered(server.release(PNE, ALICE), ALICE, "guess".toCharArray())),
                Status.UNAUTHORIZED);
        assertEquals(1, await(server.store.failures(ALICE, GW)).pair().failures());
        assertEquals(KeyState.ACTIVE, await(server.store.findActive(PNE)).orElseThrow().state());
    }

    @Test
    void answerWithAnExpiredNonce_challengedAgainStale() {
        final KeyRelease release = server.release(PNE, ALICE);
        final KeyRelease answered = server.answered(release, ALICE, ALICE_PASSWORD);
        server.clock.advance(ReleaseTestServer.NONCE_LIFETIME.plus(Duration.ofSeconds(1)));
        assertEquals(true, assertInstanceOf(Challenge.class, server.handle(answered)).stale());
    }
}
