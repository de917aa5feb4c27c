package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.broker.HashedSecrets;
import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * R4, the seed's "non-secure PAN" (left FFS by the seed; closed here): a proxy Key Request that arrives over a PAN
 * connection that is not mutually authenticated is refused. Two layers: the PAN broker refuses PNEs without a
 * client certificate at CONNECT, and even when someone enables password logins for PNEs on the PAN broker, the
 * gateway (told by the broker how each PNE authenticated) refuses such a PNE's proxy request with a 403, before
 * asking the user or the server.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NonSecurePanConformanceIT {
    static final String PASSWORD_PNE = "r4-password-pne";
    static final byte[] PASSWORD = "r4-device-password-0123456789".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    static Path dir;
    /** The default gateway: mutual TLS only. */
    static Fixture secure;
    /** A gateway whose PAN broker also lets PNEs in by password (an insecure listener someone enabled). */
    static Fixture open;

    @BeforeAll
    static void start() {
        secure = new Fixture(dir.resolve("secure"));
        open = new Fixture(dir.resolve("open"), LocalSystem.Options.defaults().withGatewayConfig(c ->
                c.withInsecurePanPnePasswords(HashedSecrets.of(Map.of(PASSWORD_PNE, HashedSecrets.sha256(PASSWORD))))),
                (realm, why) -> Future.succeededFuture(Optional.empty()));
    }

    @AfterAll
    static void stop() {
        if (secure != null) {
            secure.close();
        }
        if (open != null) {
            open.close();
        }
    }

    @Test
    @DisplayName("R4 by default a PNE with a user name and password but no certificate is refused at CONNECT")
    void r4_defaultPan_passwordPneRefusedAtConnect() {
        final Mqtt5AsyncClient client = passwordClient(secure);
        assertThrows(Exception.class, () -> client.connect().get(20, TimeUnit.SECONDS));
        assertFalse(secure.user.wasAsked(EntityId.of(PASSWORD_PNE)));
    }

    @Test
    @DisplayName("R4 with a password listener enabled on the PAN, a proxy Key Request without a client certificate"
            + " gets 403; the user is not asked and no key is made")
    void r4_passwordListener_proxyRequestRefused403() throws Exception {
        final Mqtt5AsyncClient client = passwordClient(open);
        client.connect().get(20, TimeUnit.SECONDS);
        try {
            final BlockingQueue<JsonObject> replies = new LinkedBlockingQueue<>();
            for (final String topic : Topics.panReplyTopics(EntityId.of(PASSWORD_PNE))) {
                client.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE)
                        .callback(p -> replies.add(new JsonObject(new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8))))
                        .send().get(20, TimeUnit.SECONDS);
            }
            client.publishWith().topic(Topics.pan(EntityId.of(PASSWORD_PNE), Topics.KEY_REQUEST)).qos(MqttQos.AT_LEAST_ONCE)
                    .payload(RecordingPne.proxyRequest(EntityId.of(PASSWORD_PNE), "r4-1").toBuffer().getBytes())
                    .send().get(20, TimeUnit.SECONDS);
            final JsonObject reply = replies.poll(30, TimeUnit.SECONDS);
            assertTrue(reply != null, "no answer to the proxy request");
            assertEquals("key-delivery", reply.getString("type"), reply.encode());
            assertEquals(403, reply.getInteger("status"), reply.encode());
            assertTrue(reply.getString("reason").contains("not mutually authenticated"), reply.encode());
            assertFalse(reply.containsKey("euKey"));
            assertFalse(open.user.wasAsked(EntityId.of(PASSWORD_PNE)), "the user is never asked");
            assertEquals(Optional.empty(), open.serverKcv(PASSWORD_PNE), "nothing reached the server");
        } finally {
            client.disconnect().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    @DisplayName("R4 on the same gateway, a PNE with a client certificate still gets its EUKey")
    void r4_passwordListener_certificatePneServed() throws Exception {
        try (RecordingPne pne = new RecordingPne(open.system, EntityId.of("r4-cert-pne")).connect()) {
            pne.sendKeyRequest(RecordingPne.proxyRequest(pne.entity, "r4-2"));
            assertEquals(200, pne.awaitLeaf("key-delivery").json().getInteger("status"));
        }
    }

    /** A PNE that logs in by user name and password on the PAN broker's plain listener, without a certificate. */
    private static Mqtt5AsyncClient passwordClient(final Fixture on) {
        return MqttClient.builder().useMqttVersion5().identifier(PASSWORD_PNE).serverHost("127.0.0.1")
                .serverPort(on.system.gateway().panPlainPort())
                .simpleAuth().username(PASSWORD_PNE).password(PASSWORD).applySimpleAuth()
                .buildAsync();
    }
}
