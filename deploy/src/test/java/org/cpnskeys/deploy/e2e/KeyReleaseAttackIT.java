package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.crypto.Ha1;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attacker who holds a digest answer made for a Key Request (captured on the cloud leg) and sends it as a
 * {@code key-release} of the same entity and request ID, over the real cloud broker to the real server: the method
 * KEY-RELEASE and the release's digest-uri make it worthless (401), the owner's key stays active, and the answer's
 * nonce count is not even used up by the attempt. Unit-level variants (the reverse direction, shared lockout, a
 * stranger's release): server's KeyReleaseAttackTest.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KeyReleaseAttackIT {
    @TempDir
    static Path dir;
    static CloudGatewaySystem system;
    static CloudGatewayClient gw;
    static Ha1 aliceHa1;

    @BeforeAll
    static void start() throws Exception {
        system = CloudGatewaySystem.start(dir, "release-attack-gw");
        gw = system.gw;
        aliceHa1 = system.aliceHa1;
    }

    @AfterAll
    static void stop() {
        if (system != null) {
            system.close();
        }
    }

    @Test
    @DisplayName("A captured Key Request answer sent as a key-release is refused (401) and releases nothing")
    void keyRequestAnswer_sentAsARelease_refused401_keyStaysActive() throws Exception {
        final JsonObject request = CloudGatewayClient.request(EntityId.of("rel-victim"), "victim-r1", "alice", true);
        gw.send(request);
        final CloudGatewayClient.Reply challenge = gw.awaitFor("victim-r1");
        assertEquals("challenge", challenge.leaf());
        final JsonObject answered = CloudGatewayClient.answered(request, "cpns", challenge.json().getString("nonce"),
                "00000001", "victimcnonce1", aliceHa1);

        // the attacker's release: the captured answer verbatim, on a key-release of the same entity and request
        final JsonObject release = new JsonObject().put("v", 2).put("type", "key-release")
                .put("requestId", "victim-r1").put("entityId", "rel-victim").put("proxy", true).put("userId", "alice")
                .put("authorization", answered.getJsonObject("authorization"));
        gw.send(release);
        final CloudGatewayClient.Reply refused = gw.awaitFor("victim-r1");
        assertEquals("status", refused.leaf(), refused.json().encode());
        assertEquals(401, refused.json().getInteger("status"), refused.json().encode());

        // the victim's own answer still gets the key: the attempt used nothing up, and nothing was released
        gw.send(answered);
        final CloudGatewayClient.Reply delivered = gw.awaitFor("victim-r1");
        assertEquals(200, delivered.json().getInteger("status"), delivered.json().encode());
        assertTrue(system.f.serverKcv("rel-victim").isPresent(), "the owner's key is active");
    }
}
