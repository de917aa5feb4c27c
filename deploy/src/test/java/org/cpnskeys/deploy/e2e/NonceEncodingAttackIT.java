package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.server.ServerApplication;
import org.cpnskeys.server.ServerConfig;
import org.cpnskeys.server.auth.HtdigestFile;
import org.cpnskeys.server.store.KeyInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack ([H] 4i): one nonce under two spellings. The server's nonces are 40 bytes in unpadded base64url, 54
 * characters whose last one carries 4 unused bits; a decoder that ignores them reads the same bytes from 16
 * spellings. Were nonces told apart by their text, each spelling would be a new nonce, and the same nonce count
 * would pass once per spelling. The server must judge a nonce by its bytes: a respelled nonce is not accepted as
 * a second nonce, and it stores no second key.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NonceEncodingAttackIT {
    private static final String PASSWORD = "nonce-encoding-password";

    @TempDir
    static Path dir;
    static Vertx vertx;
    static ServerApplication server;
    static CloudGatewayClient gw;
    static Ha1 ha1;

    @BeforeAll
    static void start() throws Exception {
        final Path serverDir = dir.resolve("server");
        HtdigestFile.addOrReplace(serverDir.resolve("users.htdigest"), UserId.of("alice"), ServerConfig.DEFAULT_REALM,
                PASSWORD.toCharArray());
        ha1 = DigestClient.ha1("alice", ServerConfig.DEFAULT_REALM, PASSWORD.toCharArray());
        vertx = Vertx.vertx();
        server = Fixture.await(ServerApplication.start(vertx, ServerConfig.defaults(serverDir, 0)));
        gw = new CloudGatewayClient(server, GatewayId.of("respell-gw"));
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
        if (server != null) {
            Fixture.await(server.stop());
        }
        if (vertx != null) {
            Fixture.await(vertx.close());
        }
    }

    @Test
    @DisplayName("4i a nonce respelled in its unused last bits is not a second nonce: the used nc does not pass again")
    void respelledNonce_sameNonceCount_notAcceptedAgain() throws Exception {
        final JsonObject first = CloudGatewayClient.request(EntityId.of("respell-1"), "respell-r1", "alice", true);
        gw.send(first);
        final CloudGatewayClient.Reply challenge = gw.awaitFor("respell-r1");
        assertEquals("challenge", challenge.leaf(), challenge.json()::encode);
        final String nonce = challenge.json().getString("nonce");
        gw.send(CloudGatewayClient.answered(first, ServerConfig.DEFAULT_REALM, nonce, "00000001", "cn-first", ha1));
        final JsonObject delivered = gw.awaitFor("respell-r1").json();
        assertEquals(200, delivered.getInteger("status"), delivered::encode);

        final String respelled = respell(nonce);
        assertNotEquals(nonce, respelled);
        assertArrayEquals(Base64.getUrlDecoder().decode(nonce), Base64.getUrlDecoder().decode(respelled),
                "both spellings decode to the same bytes");

        // the same nc on the respelled nonce, for another entity and for the first one under a new request ID
        for (final String[] attempt : List.of(new String[] {"respell-2", "respell-r2"},
                new String[] {"respell-1", "respell-r3"})) {
            final JsonObject request = CloudGatewayClient.request(EntityId.of(attempt[0]), attempt[1], "alice", true);
            gw.send(CloudGatewayClient.answered(request, ServerConfig.DEFAULT_REALM, respelled, "00000001",
                    "cn-" + attempt[1], ha1));
            final CloudGatewayClient.Reply reply = gw.awaitFor(attempt[1]);
            assertFalse("key-delivery".equals(reply.leaf()) && reply.json().getInteger("status") == 200,
                    "the respelled nonce was accepted as a new one: " + reply.json().encode());
            assertTrue(!reply.json().containsKey("wrappedKey"), "no key for " + attempt[1]);
        }
        final List<KeyInfo> keys = Fixture.await(server.store().list());
        assertEquals(List.of(delivered.getString("keyId")), keys.stream()
                .filter(k -> k.entityId().value().startsWith("respell-")).map(k -> k.keyId().value()).toList(),
                "only the first answer's key is stored");

        // the nonce itself, spelled as issued, still serves the next nonce count
        final JsonObject next = CloudGatewayClient.request(EntityId.of("respell-3"), "respell-r4", "alice", true);
        gw.send(CloudGatewayClient.answered(next, ServerConfig.DEFAULT_REALM, nonce, "00000002", "cnonce-next", ha1));
        final JsonObject nextReply = gw.awaitFor("respell-r4").json();
        assertEquals(200, nextReply.getInteger("status"), nextReply::encode);
    }

    /** The same nonce with the lowest of the last character's unused bits set. */
    private static String respell(final String nonce) {
        final String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        final int last = alphabet.indexOf(nonce.charAt(nonce.length() - 1));
        assertEquals(0, last & 0x0F, "40 bytes in 54 characters: the last one's 4 low bits are unused (zero)");
        return nonce.substring(0, nonce.length() - 1) + alphabet.charAt(last | 1);
    }
}
