package org.cpnskeys.broker;

import static org.cpnskeys.broker.TestClients.assertDisconnectedNotAuthorized;
import static org.cpnskeys.broker.TestClients.assertNotAuthorized;
import static org.cpnskeys.broker.TestClients.assertSubscribeRefused;
import static org.cpnskeys.broker.TestClients.await;
import static org.cpnskeys.broker.TestClients.text;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.cpnskeys.broker.TestClients.Client;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The cloud broker: servers on the shared key-request subscription, gateways under their own ID. */
@Timeout(120)
class CloudBrokerIT {
    private static final String SERVER_USER = "server";
    private static final String SERVER_SECRET = "server-secret-0123456789abcdef";
    private static final GatewayId GW1 = GatewayId.of("gw1");
    private static final GatewayId GW2 = GatewayId.of("gw2");
    private static final String GW1_SECRET = "gw1-secret-0123456789abcdef";
    private static final String GW2_SECRET = "gw2-secret-0123456789abcdef";
    private static final String SERVER_LOOKALIKE = "cpns-server-9";

    @TempDir
    static Path folder;

    private static EmbeddedBroker broker;
    private static final AtomicInteger SERVER_IDS = new AtomicInteger();

    private final TestClients clients = new TestClients();

    @BeforeAll
    static void startBroker() {
        final BrokerConfig config = BrokerConfig.of(folder.resolve("broker"),
                Optional.of(TcpListenerConfig.loopback(0)), Optional.empty());
        final ClientSecrets servers = HashedSecrets.of(Map.of(SERVER_USER, hash(SERVER_SECRET)));
        final ClientSecrets gateways = HashedSecrets.of(Map.of(
                GW1.value(), hash(GW1_SECRET),
                GW2.value(), hash(GW2_SECRET),
                SERVER_LOOKALIKE, hash(GW1_SECRET)));
        broker = EmbeddedBroker.create(config, new CloudAccessPolicy(servers, gateways));
        await(broker.start());
    }

    private static byte[] hash(final String secret) {
        return HashedSecrets.sha256(secret.getBytes(StandardCharsets.UTF_8));
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

    private Client server() {
        final Client server = clients.tcp(broker.tcpPort(),
                CloudAccessPolicy.SERVER_CLIENT_ID_PREFIX + SERVER_IDS.incrementAndGet());
        server.connect(SERVER_USER, SERVER_SECRET);
        return server;
    }

    private Client gateway(final GatewayId id, final String secret) {
        final Client gateway = clients.tcp(broker.tcpPort(), id.value());
        gateway.connect(id.value(), secret);
        return gateway;
    }

    @Test
    void serverSharedSubscription_gatewayKeyRequest_receivedAndAnswered() throws InterruptedException {
        final Client server = server();
        await(server.subscribe(Topics.cloudKeyRequestSharedFilter()));
        final Client gw1 = gateway(GW1, GW1_SECRET);
        await(gw1.subscribe(Topics.cloudRepliesFilter(GW1, 0)));

        await(gw1.publish(Topics.cloud(GW1, 0, Topics.KEY_REQUEST), "request"));
        final Mqtt5Publish request = server.next();
        assertEquals("cpns/cloud/gw1/0/key-request", request.getTopic().toString());
        assertEquals("request", text(request));

        // cpns/cloud/gw1/0/+ also matches the gateway's own key-request: it gets its request back first
        assertEquals("cpns/cloud/gw1/0/key-request", gw1.next().getTopic().toString());

        await(server.publish(Topics.cloud(GW1, 0, Topics.CHALLENGE), "challenge"));
        await(server.publish(Topics.cloud(GW1, 0, Topics.KEY_DELIVERY), "delivery"));
        assertEquals("challenge", text(gw1.next()));
        assertEquals("delivery", text(gw1.next()));
    }

    @Test
    void gatewayPublish_otherGatewayKeyRequest_disconnected() {
        final Client gw1 = gateway(GW1, GW1_SECRET);

        gw1.publish(Topics.cloud(GW2, 0, Topics.KEY_REQUEST), "forged");

        assertDisconnectedNotAuthorized(gw1);
    }

    @Test
    void gatewayPublish_ownReplyTopic_disconnected() {
        final Client gw1 = gateway(GW1, GW1_SECRET);

        gw1.publish(Topics.cloud(GW1, 0, Topics.KEY_DELIVERY), "fake delivery");

        assertDisconnectedNotAuthorized(gw1);
    }

    @Test
    void gatewaySubscribe_otherGatewayReplies_failsSuback() {
        final Client gw1 = gateway(GW1, GW1_SECRET);

        assertSubscribeRefused(gw1, Topics.cloudRepliesFilter(GW2, 0));
        assertSubscribeRefused(gw1, Topics.cloudAnyInstance(Topics.KEY_DELIVERY));
    }

    @Test
    void gatewaySubscribe_serverSharedFilter_failsSuback() {
        final Client gw1 = gateway(GW1, GW1_SECRET);

        assertSubscribeRefused(gw1, Topics.cloudKeyRequestSharedFilter());
        assertSubscribeRefused(gw1, "$share/cpns-server/" + Topics.cloudRepliesFilter(GW1, 0));
    }

    @Test
    void serverSubscribe_keyRequestsNotShared_failsSuback() {
        final Client server = server();

        assertSubscribeRefused(server, Topics.cloudAnyInstance(Topics.KEY_REQUEST));
        assertSubscribeRefused(server, "$share/other-group/" + Topics.cloudAnyInstance(Topics.KEY_REQUEST));
    }

    @Test
    void gatewayConnect_unknownGateway_refused() {
        final Client gw3 = clients.tcp(broker.tcpPort(), "gw3");

        assertNotAuthorized(() -> gw3.connect("gw3", GW1_SECRET));
    }

    @Test
    void gatewayConnect_wrongPassword_refused() {
        final Client gw1 = clients.tcp(broker.tcpPort(), "gw1");

        assertNotAuthorized(() -> gw1.connect("gw1", GW2_SECRET));
    }

    @Test
    void gatewayConnect_clientIdNotUsername_refused() {
        final Client gw1 = clients.tcp(broker.tcpPort(), "gw2");

        assertNotAuthorized(() -> gw1.connect("gw1", GW1_SECRET));
    }

    @Test
    void gatewayConnect_noCredentials_refused() {
        final Client anonymous = clients.tcp(broker.tcpPort(), "gw1");

        assertNotAuthorized(anonymous::connect);
    }

    @Test
    void gatewayConnect_idWithServerPrefix_refused() {
        final Client lookalike = clients.tcp(broker.tcpPort(), SERVER_LOOKALIKE);

        assertNotAuthorized(() -> lookalike.connect(SERVER_LOOKALIKE, GW1_SECRET));
    }

    @Test
    void serverConnect_clientIdWithoutServerPrefix_refused() {
        final Client server = clients.tcp(broker.tcpPort(), "server-without-prefix");

        assertNotAuthorized(() -> server.connect(SERVER_USER, SERVER_SECRET));
    }

    @Test
    void serverConnect_gatewayCredentials_refused() {
        final Client server = clients.tcp(broker.tcpPort(), CloudAccessPolicy.SERVER_CLIENT_ID_PREFIX + "x");

        assertNotAuthorized(() -> server.connect(GW1.value(), GW1_SECRET));
    }
}
