package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.protocol.crypto.X25519;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * [H] 4i, the attacker who re-attaches a digest answer: they capture a PN GW's (or a PNE with UI's) Key Request
 * with its digest answer before it reaches the server, and send the same answer for another request ID, or with
 * their own ephemeral key in place of the requester's (to be able to open the delivery). The digest-uri names
 * the request ID and the epk, so the server refuses both (401) and creates no key; the captured answer itself
 * stays good for the request it was made for.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AnswerReattachAttackIT {
    @TempDir
    static Path dir;
    static CloudGatewaySystem system;
    static Fixture f;
    static CloudGatewayClient gw;
    static Ha1 aliceHa1;

    @BeforeAll
    static void start() throws Exception {
        system = CloudGatewaySystem.start(dir, "reattach-gw");
        f = system.f;
        gw = system.gw;
        aliceHa1 = system.aliceHa1;
    }

    @AfterAll
    static void stop() {
        if (system != null) {
            system.close();
        }
    }

    /** The victim's request, challenged, and its digest answer: what the attacker captured (never sent). */
    private static JsonObject capturedAnswer(final String entity, final String requestId) throws Exception {
        final JsonObject request = CloudGatewayClient.request(EntityId.of(entity), requestId, "alice", true);
        gw.send(request);
        final CloudGatewayClient.Reply challenge = gw.awaitFor(requestId);
        assertEquals("challenge", challenge.leaf());
        return CloudGatewayClient.answered(request, "cpns", challenge.json().getString("nonce"), "00000001",
                "reattach" + requestId.replace("-", ""), aliceHa1);
    }

    private static boolean keyStoredFor(final String entity) {
        return Fixture.await(f.system.server().store().list()).stream()
                .anyMatch(k -> k.entityId().value().equals(entity));
    }

    @Test
    @DisplayName("[H] 4i a captured digest answer re-attached to another request ID is refused (401), creates no key")
    void answerReattachedToAnotherRequestId_refused401_noKey() throws Exception {
        final JsonObject captured = capturedAnswer("reattach-1", "victim-r1");
        final JsonObject forged = captured.copy().put("requestId", "attacker-r1");
        gw.send(forged);
        final CloudGatewayClient.Reply r = gw.awaitFor("attacker-r1");
        assertEquals("key-delivery", r.leaf(), r.json().encode());
        assertEquals(401, r.json().getInteger("status"), r.json().encode());
        assertFalse(r.json().containsKey("wrappedKey"));
        assertFalse(keyStoredFor("reattach-1"), "a key was created for the re-attached answer");
        // the captured answer was genuine: the victim's own request still gets its key with it
        gw.send(captured);
        final CloudGatewayClient.Reply own = gw.awaitFor("victim-r1");
        assertEquals(200, own.json().getInteger("status"), own.json().encode());
        assertTrue(keyStoredFor("reattach-1"));
    }

    @Test
    @DisplayName("[H] 4i a captured digest answer sent with the attacker's own ephemeral key is refused (401), creates"
            + " no key")
    void answerReattachedToAnotherEpk_refused401_noKey() throws Exception {
        final JsonObject captured = capturedAnswer("reattach-2", "victim-r2");
        try (X25519.EphemeralKeyPair attacker = X25519.generate()) {
            gw.send(captured.copy().put("epk", attacker.publicKey().text()));
        }
        final CloudGatewayClient.Reply r = gw.awaitFor("victim-r2");
        assertEquals("key-delivery", r.leaf(), r.json().encode());
        assertEquals(401, r.json().getInteger("status"), r.json().encode());
        assertFalse(r.json().containsKey("wrappedKey"));
        assertFalse(keyStoredFor("reattach-2"), "a key was created for the re-attached answer");
    }

    @Test
    @DisplayName("[H] 4i a captured answer re-attached to another request ID and another epk at once is refused too")
    void answerReattachedToAnotherRequestAndEpk_refused401_noKey() throws Exception {
        final JsonObject captured = capturedAnswer("reattach-3", "victim-r3");
        try (X25519.EphemeralKeyPair attacker = X25519.generate()) {
            gw.send(captured.copy().put("requestId", "attacker-r3").put("epk", attacker.publicKey().text()));
        }
        final CloudGatewayClient.Reply r = gw.awaitFor("attacker-r3");
        assertEquals(401, r.json().getInteger("status"), r.json().encode());
        assertFalse(keyStoredFor("reattach-3"));
    }
}
