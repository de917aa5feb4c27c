package org.cpnskeys.deploy.e2e;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.PfxOptions;

import org.cpnskeys.broker.BrokerConfig;
import org.cpnskeys.broker.EmbeddedBroker;
import org.cpnskeys.broker.HashedSecrets;
import org.cpnskeys.broker.PanAccessPolicy;
import org.cpnskeys.broker.TcpListenerConfig;
import org.cpnskeys.broker.TlsListenerConfig;
import org.cpnskeys.protocol.tls.IssuedIdentity;
import org.cpnskeys.gateway.pan.PanCertificateAuthority;
import org.cpnskeys.pne.LoginPrompt;
import org.cpnskeys.pne.PneConfig;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.Topics;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;

/**
 * A malicious (or compromised) PN GW, played by the test: a real PAN broker with mutual TLS and its own PAN CA,
 * whose gateway side is a script. Every Key Request a PNE publishes is handed to {@code script}, which returns
 * the reply (leaf and JSON) to publish to that PNE, or nothing. Used to show what the real PNE refuses from its
 * gateway.
 */
final class RogueGateway implements AutoCloseable {
    private static final String INTERNAL = "cpns-gateway";
    private static final String INTERNAL_PASSWORD = "rogue-internal-password";

    /** A reply to publish on {@code cpns/pan/{entity}/{leaf}}. */
    record Reply(String leaf, JsonObject json) {
    }

    final List<JsonObject> requests = new CopyOnWriteArrayList<>();
    private final Path dir;
    private final PanCertificateAuthority ca;
    private final EmbeddedBroker broker;
    private final Mqtt5AsyncClient client;

    RogueGateway(final Path dir, final Function<JsonObject, Optional<Reply>> script) throws Exception {
        this.dir = dir;
        ca = PanCertificateAuthority.loadOrCreate(dir.resolve("pan-ca"), "rogue");
        final IssuedIdentity server = ca.issueServer(List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1));
        final String password = "rogue-tls-password";
        server.writePkcs12(dir.resolve("server.p12"), password.toCharArray());
        ca.writeTrustStore(dir.resolve("trust.p12"), password.toCharArray());
        broker = EmbeddedBroker.create(BrokerConfig.of(dir.resolve("broker"),
                Optional.of(new TcpListenerConfig("127.0.0.1", 0)),
                Optional.of(new TlsListenerConfig("127.0.0.1", 0, dir.resolve("server.p12"), password, password,
                        dir.resolve("trust.p12"), password, true))),
                new PanAccessPolicy(INTERNAL, HashedSecrets.of(Map.of(INTERNAL,
                        HashedSecrets.sha256(INTERNAL_PASSWORD.getBytes(StandardCharsets.US_ASCII))))));
        broker.start().get(60, TimeUnit.SECONDS);
        client = MqttClient.builder().useMqttVersion5().identifier(INTERNAL).serverHost("127.0.0.1")
                .serverPort(broker.tcpPort()).simpleAuth().username(INTERNAL)
                .password(INTERNAL_PASSWORD.getBytes(StandardCharsets.US_ASCII)).applySimpleAuth().buildAsync();
        client.connect().get(20, TimeUnit.SECONDS);
        client.subscribeWith().topicFilter("cpns/pan/+/key-request").qos(MqttQos.AT_LEAST_ONCE).callback(p -> {
            final JsonObject request = new JsonObject(Buffer.buffer(p.getPayloadAsBytes()));
            requests.add(request);
            script.apply(request).ifPresent(r -> client.publishWith()
                    .topic(Topics.pan(EntityId.of(request.getString("entityId")), r.leaf())).qos(MqttQos.AT_LEAST_ONCE)
                    .payload(r.json().toBuffer().getBytes()).send());
        }).send().get(20, TimeUnit.SECONDS);
    }

    /** A real PNE of this PAN (its certificate from the rogue CA): one request, {@code attempts} sends 1 s apart. */
    PneConfig pne(final String entity, final Optional<LoginPrompt> login, final int attempts) {
        final IssuedIdentity identity = ca.issueDevice(EntityId.of(entity), Duration.ofDays(1));
        final char[] p12 = "pne-p12-password".toCharArray();
        final MqttEndpoint pan = MqttEndpoint.tls("localhost", broker.tlsPort(),
                new PemTrustOptions().addCertValue(Buffer.buffer(ca.caCertificatePem())),
                Optional.of(new PfxOptions().setValue(Buffer.buffer(identity.toPkcs12(p12))).setPassword(new String(p12))),
                true, Optional.empty(), Optional.empty());
        return new PneConfig(EntityId.of(entity), pan, login, dir.resolve(entity + "-eukey.p12"),
                "store-password".toCharArray(), Duration.ofSeconds(1), attempts, Optional.empty(), Optional.empty());
    }

    @Override
    public void close() throws Exception {
        client.disconnect().get(10, TimeUnit.SECONDS);
        broker.stop().get(30, TimeUnit.SECONDS);
    }
}
