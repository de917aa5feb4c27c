package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

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
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.Topics;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.WrappedKey;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.EuKeyWrap;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.protocol.crypto.KeyCheckValue;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.X25519;
import org.cpnskeys.protocol.crypto.X25519PublicKey;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway faces a server (played by the test on a real cloud broker) whose Key Deliveries are tampered
 * with in transit: the GCM tag fails, nothing is forwarded to the PNE but a refusal without key.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TamperedDeliveryIT {
    private static final String SERVER_SECRET = "fake-server-secret";
    private static final String GATEWAY_TOKEN = "tgw-token";
    private static final char[] PASSWORD = "tamper-test-password".toCharArray();
    private static final byte[] EUKEY = new byte[32];

    @TempDir
    static Path dir;
    static Vertx vertx;
    static EmbeddedBroker cloud;
    static GatewayApplication gateway;
    static Mqtt5AsyncClient fakeServer;
    static final AtomicInteger deliveries = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        for (int i = 0; i < EUKEY.length; i++) {
            EUKEY[i] = (byte) (i * 7 + 1);
        }
        vertx = Vertx.vertx();
        cloud = EmbeddedBroker.create(BrokerConfig.of(dir.resolve("cloud"),
                        Optional.of(new TcpListenerConfig("127.0.0.1", 0)), Optional.empty()),
                new CloudAccessPolicy(
                        HashedSecrets.of(Map.of("cpns-server", HashedSecrets.sha256(SERVER_SECRET.getBytes(StandardCharsets.UTF_8)))),
                        HashedSecrets.of(Map.of("tgw", HashedSecrets.sha256(GATEWAY_TOKEN.getBytes(StandardCharsets.UTF_8))))));
        Fixture.await(cloud.start(vertx));
        fakeServer = MqttClient.builder().useMqttVersion5().identifier("cpns-server-fake").serverHost("127.0.0.1")
                .serverPort(cloud.tcpPort()).simpleAuth().username("cpns-server")
                .password(SERVER_SECRET.getBytes(StandardCharsets.UTF_8)).applySimpleAuth().buildAsync();
        fakeServer.connect().get(20, TimeUnit.SECONDS);
        fakeServer.subscribeWith().topicFilter(Topics.cloudKeyRequestSharedFilter()).qos(MqttQos.AT_LEAST_ONCE)
                .callback(p -> answer(new JsonObject(new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8))))
                .send().get(20, TimeUnit.SECONDS);
        final GatewayConfig config = GatewayConfig.defaults(GatewayId.of("tgw"), dir.resolve("gateway"), 0,
                MqttEndpoint.plain("127.0.0.1", cloud.tcpPort(), "tgw", GATEWAY_TOKEN))
                .withCloudTimeout(Duration.ofSeconds(3), 2);
        gateway = Fixture.await(GatewayApplication.start(vertx, config, new ScriptedApproval(),
                (realm, why) -> Future.succeededFuture(Optional.empty())));
        gateway.credentials().set(UserId.of("alice"), "cpns", PASSWORD);
    }

    private static final X25519.EphemeralKeyPair SERVER_KEYS = X25519.generate();

    /** The fake server: challenges, then delivers EUKEY wrapped correctly, tampered for entities "tamper-*". */
    private static void answer(final JsonObject request) {
        final String entity = request.getString("entityId");
        final String requestId = request.getString("requestId");
        final JsonObject auth = request.getJsonObject("authorization");
        final JsonObject reply;
        final String leaf;
        if (auth == null) {
            leaf = "challenge";
            reply = new JsonObject().put("v", 2).put("type", "challenge").put("requestId", requestId)
                    .put("entityId", entity).put("status", 401).put("realm", "cpns").put("nonce", "fakeNonce0123456789")
                    .put("qop", "auth").put("algorithm", "MD5").put("stale", false);
        } else {
            leaf = "key-delivery";
            final Ha1 ha1 = DigestClient.ha1("alice", "cpns", PASSWORD);
            final KeyId keyId = KeyId.of("k" + deliveries.incrementAndGet());
            final X25519PublicKey epk = X25519PublicKey.parse(request.getString("epk"), "epk");
            final WrappedKey w;
            try (SecretBytes shared = SERVER_KEYS.agree(epk)) {
                w = EuKeyWrap.wrap(SecretBytes.copyOf(EUKEY), ha1, shared, new EuKeyWrap.Context(auth.getString("nonce"),
                        auth.getString("cnonce"), EntityId.of(entity), UserId.of("alice"), RequestId.of(requestId), keyId,
                        epk, SERVER_KEYS.publicKey()));
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
            final byte[] ct = w.ciphertext();
            if (entity.startsWith("tamper-")) {
                ct[3] ^= 0x01;
            }
            reply = new JsonObject().put("v", 2).put("type", "key-delivery").put("requestId", requestId)
                    .put("entityId", entity).put("status", 200).put("userId", "alice").put("keyId", keyId.value())
                    .put("wrappedKey", new JsonObject().put("alg", w.alg()).put("nonce", w.nonce()).put("cnonce", w.cnonce())
                            .put("epk", w.epk().text()).put("iv", Base64.getEncoder().encodeToString(w.iv()))
                            .put("ct", Base64.getEncoder().encodeToString(ct)));
        }
        fakeServer.publishWith().topic(Topics.cloud(GatewayId.of("tgw"), 0, leaf)).qos(MqttQos.AT_LEAST_ONCE)
                .payload(reply.toBuffer().getBytes()).send();
    }

    @AfterAll
    static void stop() throws Exception {
        if (fakeServer != null) {
            fakeServer.disconnect().get(10, TimeUnit.SECONDS);
        }
        if (gateway != null) {
            Fixture.await(gateway.stop());
        }
        if (cloud != null) {
            cloud.stop().get(30, TimeUnit.SECONDS);
        }
        Fixture.await(vertx.close());
    }

    @Test
    @DisplayName("F8 a Key Delivery whose ciphertext was tampered with is rejected by the gateway: the PNE gets no key")
    void tamperedCiphertext_rejected_noKeyForwarded() throws Exception {
        try (RecordingPne pne = new RecordingPne(gateway, EntityId.of("tamper-1"), "tamper-1").connect()) {
            pne.sendKeyRequest(RecordingPne.proxyRequest(pne.entity, "t-1"));
            final JsonObject d = pne.await(Duration.ofSeconds(60), s -> s.leaf().equals("key-delivery")).json();
            assertEquals(500, d.getInteger("status"), pne.describe());
            assertFalse(d.containsKey("euKey"));
            assertFalse(d.containsKey("wrappedKey"));
        }
    }

    @Test
    @DisplayName("F8 the same server untampered: the gateway opens the key and the PNE gets exactly it")
    void untampered_forwarded() throws Exception {
        try (RecordingPne pne = new RecordingPne(gateway, EntityId.of("honest-1"), "honest-1").connect()) {
            pne.sendKeyRequest(RecordingPne.proxyRequest(pne.entity, "h-1"));
            final JsonObject d = pne.awaitLeaf("key-delivery").json();
            assertEquals(200, d.getInteger("status"), pne.describe());
            assertEquals(KeyCheckValue.of(SecretBytes.copyOf(EUKEY)),
                    KeyCheckValue.of(SecretBytes.copyOf(Base64.getDecoder().decode(d.getString("euKey")))));
        }
    }
}
