package org.cpnskeys.broker;

import static org.cpnskeys.broker.TestClients.assertConnectionFails;
import static org.cpnskeys.broker.TestClients.assertDisconnectedNotAuthorized;
import static org.cpnskeys.broker.TestClients.assertNotAuthorized;
import static org.cpnskeys.broker.TestClients.assertSubscribeRefused;
import static org.cpnskeys.broker.TestClients.await;
import static org.cpnskeys.broker.TestClients.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.cpnskeys.broker.TestClients.Client;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The gateway's PAN broker: PNEs by client certificate over mutual TLS, the gateway by internal user. */
@Timeout(120)
class PanBrokerIT {
    private static final String GATEWAY_USER = "gateway";
    private static final String GATEWAY_SECRET = "internal-secret-0123456789abcdef";
    private static final EntityId A = EntityId.of("a");
    private static final EntityId B = EntityId.of("b");

    @TempDir
    static Path folder;

    private static TestPki pki;
    private static EmbeddedBroker broker;
    private static final AtomicInteger GATEWAY_IDS = new AtomicInteger();

    private final TestClients clients = new TestClients();

    @BeforeAll
    static void startBroker() {
        pki = TestPki.create("PAN CA");
        final TlsListenerConfig tls = pki.listener(folder.resolve("tls"), "PKCS12", true);
        final BrokerConfig config = BrokerConfig.of(folder.resolve("broker"),
                Optional.of(TcpListenerConfig.loopback(0)), Optional.of(tls));
        final ClientSecrets secrets = HashedSecrets.of(Map.of(GATEWAY_USER,
                HashedSecrets.sha256(GATEWAY_SECRET.getBytes(StandardCharsets.UTF_8))));
        broker = EmbeddedBroker.create(config, new PanAccessPolicy(GATEWAY_USER, secrets));
        await(broker.start());
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @AfterEach
    void disconnectClients() {
        clients.closeAll();
    }

    private Client pne(final EntityId entity) {
        final Client pne = clients.tls(broker.tlsPort(), entity.value(), pki, pki.client(entity.value()));
        pne.connect();
        return pne;
    }

    private Client gateway() {
        final Client gateway = clients.tcp(broker.tcpPort(), GATEWAY_USER + "-" + GATEWAY_IDS.incrementAndGet());
        gateway.connect(GATEWAY_USER, GATEWAY_SECRET);
        return gateway;
    }

    @Test
    void pneKeyRequest_ownTopic_reachesGateway() throws InterruptedException {
        final Client gateway = gateway();
        await(gateway.subscribe(Topics.panKeyRequestFilter()));
        final Client pne = pne(A);

        await(pne.publish(Topics.pan(A, Topics.KEY_REQUEST), "{\"v\":1}"));

        final Mqtt5Publish received = gateway.next();
        assertEquals("cpns/pan/a/key-request", received.getTopic().toString());
        assertEquals("{\"v\":1}", text(received));
    }

    @Test
    void gatewayKeyDelivery_pneTopic_reachesPne() throws InterruptedException {
        final Client pne = pne(A);
        await(pne.subscribe(Topics.pan(A, Topics.KEY_DELIVERY)));
        await(pne.subscribe(Topics.pan(A, Topics.STATUS)));
        final Client gateway = gateway();

        await(gateway.publish(Topics.pan(A, Topics.KEY_DELIVERY), "delivery"));
        await(gateway.publish(Topics.pan(A, Topics.STATUS), "status"));

        // MQTT orders messages per topic, not across topics: both arrive, in either order
        final java.util.Set<String> received = new java.util.TreeSet<>();
        received.add(pne.next().getTopic().toString());
        received.add(pne.next().getTopic().toString());
        assertEquals(java.util.Set.of("cpns/pan/a/key-delivery", "cpns/pan/a/status"), received);
    }

    @Test
    void pnePublish_otherEntityKeyRequest_disconnectsPne() throws InterruptedException {
        final Client gateway = gateway();
        await(gateway.subscribe(Topics.panKeyRequestFilter()));
        final Client pne = pne(A);

        pne.publish(Topics.pan(B, Topics.KEY_REQUEST), "forged");

        assertDisconnectedNotAuthorized(pne);
        // the forged request was dropped: the next message the gateway sees is b's own
        final Client pneB = pne(B);
        await(pneB.publish(Topics.pan(B, Topics.KEY_REQUEST), "genuine"));
        assertEquals("genuine", text(gateway.next()));
    }

    @Test
    void pnePublish_ownReplyTopic_disconnectsPne() {
        final Client pne = pne(A);

        pne.publish(Topics.pan(A, Topics.KEY_DELIVERY), "fake delivery");

        assertDisconnectedNotAuthorized(pne);
    }

    @Test
    void pnePublish_retainedKeyRequest_disconnectsPne() {
        final Client pne = pne(A);

        pne.mqtt.publishWith().topic(Topics.pan(A, Topics.KEY_REQUEST)).qos(MqttQos.AT_LEAST_ONCE).retain(true)
                .payload(new byte[] {1}).send();

        assertDisconnectedNotAuthorized(pne);
    }

    @Test
    void pneSubscribe_otherEntityReplies_failsSuback() {
        final Client pne = pne(A);

        assertSubscribeRefused(pne, Topics.pan(B, Topics.KEY_DELIVERY));
        assertSubscribeRefused(pne, Topics.panKeyRequestFilter());
        assertSubscribeRefused(pne, "cpns/#");
    }

    @Test
    void tlsConnect_withoutClientCertificate_fails() {
        final Client anonymous = clients.tls(broker.tlsPort(), "a", pki, null);

        assertConnectionFails(anonymous::connect);
    }

    @Test
    void tlsConnect_certificateFromOtherCa_fails() {
        final TestPki rogue = TestPki.create("PAN CA");
        final Client impostor = clients.tls(broker.tlsPort(), "a", pki, rogue.client("a"));

        assertConnectionFails(impostor::connect);
    }

    @Test
    void pneConnect_clientIdNotCertificateCn_refused() {
        final Client pne = clients.tls(broker.tlsPort(), "b", pki, pki.client("a"));

        assertNotAuthorized(pne::connect);
    }

    @Test
    void pneConnect_cnNotAnEntityId_refused() {
        final Client pne = clients.tls(broker.tlsPort(), "bad cn", pki, pki.client("bad cn"));

        assertNotAuthorized(pne::connect);
    }

    @Test
    void tcpConnect_noCredentials_refused() {
        final Client pne = clients.tcp(broker.tcpPort(), "a");

        assertNotAuthorized(pne::connect);
    }

    @Test
    void gatewayConnect_clientIdOfAPne_refused() {
        final Client gateway = clients.tcp(broker.tcpPort(), "a");

        assertNotAuthorized(() -> gateway.connect(GATEWAY_USER, GATEWAY_SECRET));
    }

    @Test
    void pneConnect_cnInGatewayNamespace_refused() {
        final Client pne = clients.tls(broker.tlsPort(), GATEWAY_USER + "-1", pki, pki.client(GATEWAY_USER + "-1"));

        assertNotAuthorized(pne::connect);
    }

    @Test
    void gatewayConnect_wrongPassword_refused() {
        final Client gateway = clients.tcp(broker.tcpPort(), GATEWAY_USER + "-wrong");

        assertNotAuthorized(() -> gateway.connect(GATEWAY_USER, GATEWAY_SECRET + "x"));
    }

    @Test
    void pneConnect_gatewayUserWithWrongPassword_refusedDespiteCertificate() {
        final Client pne = clients.tls(broker.tlsPort(), "a", pki, pki.client("a"));

        assertNotAuthorized(() -> pne.connect(GATEWAY_USER, "guess"));
    }

    @Test
    void gatewayPublish_keyRequestTopic_disconnectsGateway() {
        final Client gateway = gateway();

        gateway.publish(Topics.pan(A, Topics.KEY_REQUEST), "spoofed");

        assertDisconnectedNotAuthorized(gateway);
    }

    @Test
    void pnePublish_twoHundredQos1InFlight_allDelivered() throws InterruptedException {
        final Client gateway = gateway();
        await(gateway.subscribe(Topics.panKeyRequestFilter()));
        final Client pne = clients.tls(broker.tlsPort(), "a", pki, pki.client("a"));
        final Mqtt5ConnAck connAck = pne.connect();
        assertEquals(BrokerConfig.DEFAULT_MAX_INFLIGHT_PER_CLIENT, connAck.getRestrictions().getReceiveMaximum(),
                "the broker announces the raised server-receive-maximum");

        final int count = 200;
        final CompletableFuture<?>[] acks = new CompletableFuture<?>[count];
        for (int i = 0; i < count; i++) {
            acks[i] = pne.publish(Topics.pan(A, Topics.KEY_REQUEST), Integer.toString(i));
        }
        await(CompletableFuture.allOf(acks));

        final Set<String> received = new HashSet<>();
        for (int i = 0; i < count; i++) {
            received.add(text(gateway.next()));
        }
        assertEquals(count, received.size());
        assertTrue(pne.mqtt.getState().isConnected());
        assertEquals(List.of(), List.copyOf(pne.inbox));
    }
}
