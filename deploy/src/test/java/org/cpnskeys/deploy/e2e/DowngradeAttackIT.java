package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.Ha1;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * [H] 2, the attacker who downgrades: protocol version 1 wrapped keys under HA1 alone (a recorded exchange plus a
 * guessed password opens them) and its digest answers covered neither the request ID nor an ephemeral key. An
 * attacker on the path who rewrites a request back to version 1, or strips its {@code epk}, must get nowhere:
 * the server and the gateway refuse such messages as malformed (400) before anything else, with a reason naming
 * the version they speak, and never fall back to the old wrapping.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DowngradeAttackIT {
    @TempDir
    static Path dir;
    static CloudGatewaySystem system;
    static Fixture f;
    static CloudGatewayClient gw;
    static Ha1 aliceHa1;

    @BeforeAll
    static void start() throws Exception {
        system = CloudGatewaySystem.start(dir, "downgrade-gw");
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

    private static boolean keyStoredFor(final String entity) {
        return Fixture.await(f.system.server().store().list()).stream()
                .anyMatch(k -> k.entityId().value().equals(entity));
    }

    /** A fresh nonce of the server, from a genuine version 2 challenge. */
    private static String nonce(final String entity, final String requestId) throws Exception {
        gw.send(CloudGatewayClient.request(EntityId.of(entity), requestId, "alice", true));
        final CloudGatewayClient.Reply challenge = gw.awaitFor(requestId);
        assertEquals("challenge", challenge.leaf());
        return challenge.json().getString("nonce");
    }

    /** What a version 1 client sends: digest-uri cpns:key-request:{entityId}, no epk. */
    private static JsonObject v1Answer(final String entity, final String requestId, final String nonce) {
        final String uri = "cpns:key-request:" + entity;
        return CloudGatewayClient.request(EntityId.of(entity), requestId, "alice", true).put("authorization",
                new JsonObject().put("username", "alice").put("realm", "cpns").put("nonce", nonce).put("uri", uri)
                        .put("qop", "auth").put("nc", "00000001").put("cnonce", "downgrade1")
                        .put("response", DigestClient.response(aliceHa1, nonce, "00000001", "downgrade1", "auth",
                                DigestClient.ha2(DigestClient.METHOD, uri))));
    }

    private static void assertRefusedAsMalformed(final CloudGatewayClient.Reply r, final String reason) {
        assertEquals("status", r.leaf(), r.json().encode());
        assertEquals(400, r.json().getInteger("status"), r.json().encode());
        assertTrue(r.json().getString("reason").contains(reason), r.json().encode());
    }

    @Test
    @DisplayName("[H] 2 a version 1 Key Request (first request) is refused 400 by the server, naming version 2: no"
            + " challenge")
    void server_v1FirstRequest_refused400() throws Exception {
        gw.send(CloudGatewayClient.request(EntityId.of("down-1"), "down-r1", "alice", true).put("v", 1));
        assertRefusedAsMalformed(gw.awaitFor("down-r1"), "only \"v\": 2 is accepted");
    }

    @Test
    @DisplayName("[H] 2 a version 1 digest answer (right password, v1 uri, no epk) is refused 400: no key, no v1 wrap")
    void server_v1AnsweredRequest_refused400_noKey() throws Exception {
        final String nonce = nonce("down-2", "down-r2");
        gw.send(v1Answer("down-2", "down-r2", nonce).put("v", 1));
        assertRefusedAsMalformed(gw.awaitFor("down-r2"), "only \"v\": 2 is accepted");
        assertFalse(keyStoredFor("down-2"));
    }

    @Test
    @DisplayName("[H] 2 a version 2 Key Request with authorization but without epk is refused 400: no key")
    void server_answeredRequestWithoutEpk_refused400_noKey() throws Exception {
        final String nonce = nonce("down-3", "down-r3");
        gw.send(v1Answer("down-3", "down-r3", nonce));
        assertRefusedAsMalformed(gw.awaitFor("down-r3"), "must carry epk");
        // nor with the v2 uri of an epk the attacker then strips
        final JsonObject v2 = CloudGatewayClient.answered(CloudGatewayClient.request(EntityId.of("down-3"), "down-r3",
                "alice", true), "cpns", nonce, "00000002", "downgrade2", aliceHa1);
        v2.remove("epk");
        gw.send(v2);
        assertRefusedAsMalformed(gw.awaitFor("down-r3"), "must carry epk");
        assertFalse(keyStoredFor("down-3"));
    }

    @Test
    @DisplayName("[H] 2 on the PAN the gateway refuses a version 1 Key Request (400) without asking the user")
    void gateway_v1RequestOnPan_refused400_userNotAsked() throws Exception {
        try (RecordingPne pne = new RecordingPne(f.system, EntityId.of("down-pan-1")).connect()) {
            pne.sendKeyRequest(RecordingPne.proxyRequest(pne.entity, "down-pan-r1").put("v", 1));
            final JsonObject status = pne.awaitLeaf("status").json();
            assertEquals(400, status.getInteger("status"), pne.describe());
            assertTrue(status.getString("reason").contains("only \"v\": 2 is accepted"), pne.describe());
            assertFalse(f.user.wasAsked(pne.entity));
        }
    }

    @Test
    @DisplayName("[H] 2 on the PAN the gateway refuses a PNE with UI's digest answer without epk (400)")
    void gateway_uiAnswerWithoutEpkOnPan_refused400() throws Exception {
        try (RecordingPne pne = new RecordingPne(f.system, EntityId.of("down-pan-2")).connect()) {
            final JsonObject request = new JsonObject().put("v", 2).put("type", "key-request")
                    .put("requestId", "down-pan-r2").put("entityId", pne.entity.value()).put("proxy", false)
                    .put("userId", "alice");
            pne.sendKeyRequest(request);
            final String nonce = pne.awaitLeaf("challenge").json().getString("nonce");
            final JsonObject answered = CloudGatewayClient.answered(request, "cpns", nonce, "00000001", "downpan2",
                    aliceHa1);
            answered.remove("epk");
            pne.sendKeyRequest(answered);
            final JsonObject status = pne.awaitLeaf("status").json();
            assertEquals(400, status.getInteger("status"), pne.describe());
            assertTrue(status.getString("reason").contains("must carry epk"), pne.describe());
            assertFalse(keyStoredFor("down-pan-2"));
        }
    }
}
