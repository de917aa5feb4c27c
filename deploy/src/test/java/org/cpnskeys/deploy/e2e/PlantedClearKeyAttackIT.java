package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.broker.BrokerConfig;
import org.cpnskeys.broker.CloudAccessPolicy;
import org.cpnskeys.broker.EmbeddedBroker;
import org.cpnskeys.broker.HashedSecrets;
import org.cpnskeys.broker.TcpListenerConfig;
import org.cpnskeys.gateway.GatewayApplication;
import org.cpnskeys.gateway.GatewayConfig;
import org.cpnskeys.gateway.keys.GatewayKeyService;
import org.cpnskeys.pne.LoginPrompt;
import org.cpnskeys.pne.PneApplication;
import org.cpnskeys.pne.PneConfig;
import org.cpnskeys.pne.PneOutcome;
import org.cpnskeys.pne.PneSession;
import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.Topics;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * [H] 3, the attacker who plants a key: someone on the cloud path, a malicious server or a malicious gateway
 * answers a PNE with UI with a Key Delivery that carries an EUKey in clear ({@code euKey}, no {@code wrappedKey}),
 * a key the attacker knows. The PNE with UI must refuse it (and say so in its log), and the relaying gateway must
 * drop such a delivery from the cloud instead of forwarding it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PlantedClearKeyAttackIT {
    /** The key the attacker plants (it knows it, so it could read everything the PNE encrypts with it). */
    private static final String PLANTED = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    private static final char[] PASSWORD = "planted-key-password".toCharArray();

    @TempDir
    Path dir;

    private static JsonObject clearDelivery(final JsonObject request) {
        return new JsonObject().put("v", CpnsMessage.VERSION).put("type", "key-delivery")
                .put("requestId", request.getString("requestId")).put("entityId", request.getString("entityId"))
                .put("status", 200).put("userId", "alice").put("keyId", "planted-key").put("euKey", PLANTED);
    }

    private static JsonObject challenge(final JsonObject request) {
        return new JsonObject().put("v", CpnsMessage.VERSION).put("type", "challenge")
                .put("requestId", request.getString("requestId")).put("entityId", request.getString("entityId"))
                .put("status", 401).put("realm", "cpns").put("nonce", "cm9ndWUtbm9uY2U").put("qop", "auth")
                .put("algorithm", "MD5").put("stale", false);
    }

    private PneOutcome runPneWithUi(final RogueGateway gateway, final String entity) {
        final Vertx vertx = Vertx.vertx();
        try {
            final PneConfig config = gateway.pne(entity, Optional.of(LoginPrompt.fixed(UserId.of("alice"), PASSWORD)), 2);
            return Fixture.await(PneApplication.requestKey(vertx, config));
        } finally {
            Fixture.await(vertx.close());
        }
    }

    @Test
    @DisplayName("[H] 3 a PNE with UI refuses and logs a Key Delivery with a clear euKey (no wrappedKey) planted at"
            + " its first request")
    void pneWithUi_clearKeyInsteadOfChallenge_refusedNotStoredLogged() throws Exception {
        try (LogCapture logs = LogCapture.of(PneSession.class);
                RogueGateway gateway = new RogueGateway(dir.resolve("rogue"),
                        r -> Optional.of(new RogueGateway.Reply("key-delivery", clearDelivery(r))))) {
            final PneOutcome o = runPneWithUi(gateway, "phone-planted-1");
            assertFalse(gateway.requests.isEmpty(), "the PNE asked the rogue gateway");
            assertNotEquals(200, o.status(), o.reason());
            assertFalse(o.stored(), "the planted key was stored");
            assertFalse(Files.exists(dir.resolve("rogue").resolve("phone-planted-1-eukey.p12")));
            assertTrue(logs.warned("carries the EUKey in clear"), "refusal logged: " + logs.warnings());
        }
    }

    @Test
    @DisplayName("[H] 3 a PNE with UI that answered the challenge with its password still refuses a clear euKey"
            + " planted as the answer")
    void pneWithUi_clearKeyAfterItsDigestAnswer_refusedNotStoredLogged() throws Exception {
        try (LogCapture logs = LogCapture.of(PneSession.class);
                RogueGateway gateway = new RogueGateway(dir.resolve("rogue"), r -> Optional.of(
                        r.containsKey("authorization") ? new RogueGateway.Reply("key-delivery", clearDelivery(r))
                                : new RogueGateway.Reply("challenge", challenge(r))))) {
            final PneOutcome o = runPneWithUi(gateway, "phone-planted-2");
            assertTrue(gateway.requests.stream().anyMatch(r -> r.containsKey("authorization")),
                    "the PNE answered the challenge: " + gateway.requests);
            assertNotEquals(200, o.status(), o.reason());
            assertFalse(o.stored(), "the planted key was stored");
            assertTrue(logs.warned("carries the EUKey in clear"), "refusal logged: " + logs.warnings());
        }
    }

    @Test
    @DisplayName("[H] 3 the gateway relaying for a PNE with UI drops a cloud Key Delivery that carries a clear euKey:"
            + " the PNE gets a refusal without key, and the drop is logged")
    void gatewayRelay_cloudDeliveryWithClearKey_droppedNotForwarded() throws Exception {
        final String serverSecret = "planted-server-secret";
        final String gatewayToken = "pgw-token";
        final Vertx vertx = Vertx.vertx();
        final EmbeddedBroker cloud = EmbeddedBroker.create(BrokerConfig.of(dir.resolve("cloud"),
                        Optional.of(new TcpListenerConfig("127.0.0.1", 0)), Optional.empty()),
                new CloudAccessPolicy(
                        HashedSecrets.of(Map.of("cpns-server", HashedSecrets.sha256(serverSecret.getBytes(StandardCharsets.UTF_8)))),
                        HashedSecrets.of(Map.of("pgw", HashedSecrets.sha256(gatewayToken.getBytes(StandardCharsets.UTF_8))))));
        Fixture.await(cloud.start(vertx));
        // the attacker in the server's place: answers every Key Request with a clear, known EUKey
        final Mqtt5AsyncClient attacker = MqttClient.builder().useMqttVersion5().identifier("cpns-server-rogue")
                .serverHost("127.0.0.1").serverPort(cloud.tcpPort()).simpleAuth().username("cpns-server")
                .password(serverSecret.getBytes(StandardCharsets.UTF_8)).applySimpleAuth().buildAsync();
        attacker.connect().get(20, TimeUnit.SECONDS);
        attacker.subscribeWith().topicFilter(Topics.cloudKeyRequestSharedFilter()).qos(MqttQos.AT_LEAST_ONCE)
                .callback(p -> attacker.publishWith().topic(Topics.cloud(GatewayId.of("pgw"), 0, Topics.KEY_DELIVERY)).qos(MqttQos.AT_LEAST_ONCE)
                        .payload(clearDelivery(new JsonObject(new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8)))
                                .toBuffer().getBytes()).send())
                .send().get(20, TimeUnit.SECONDS);
        final GatewayApplication gateway = Fixture.await(GatewayApplication.start(vertx,
                GatewayConfig.defaults(GatewayId.of("pgw"), dir.resolve("gateway"), 0,
                        MqttEndpoint.plain("127.0.0.1", cloud.tcpPort(), "pgw", gatewayToken))
                        .withCloudTimeout(Duration.ofSeconds(3), 1),
                new ScriptedApproval(), (realm, why) -> Future.succeededFuture(Optional.empty())));
        try (LogCapture logs = LogCapture.of(GatewayKeyService.class);
                RecordingPne pne = new RecordingPne(gateway, EntityId.of("phone-relay-1"), "phone-relay-1").connect()) {
            pne.sendKeyRequest(new JsonObject().put("v", CpnsMessage.VERSION).put("type", "key-request")
                    .put("requestId", "relay-1").put("entityId", "phone-relay-1").put("proxy", false)
                    .put("userId", "alice"));
            final JsonObject d = pne.awaitLeaf("key-delivery").json();
            assertEquals(500, d.getInteger("status"), pne.describe());
            assertFalse(d.containsKey("euKey"), "the planted key reached the PNE: " + pne.describe());
            assertFalse(pne.describe().contains(PLANTED), "the planted key crossed the PAN: " + pne.describe());
            assertTrue(logs.warned("carries the EUKey in clear"), "drop logged: " + logs.warnings());
        } finally {
            Fixture.await(gateway.stop());
            attacker.disconnect().get(10, TimeUnit.SECONDS);
            cloud.stop().get(30, TimeUnit.SECONDS);
            Fixture.await(vertx.close());
        }
    }
}
