package org.cpnskeys.broker;

import static org.cpnskeys.broker.TestClients.assertDisconnectedNotAuthorized;
import static org.cpnskeys.broker.TestClients.assertSubscribeRefused;
import static org.cpnskeys.broker.TestClients.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.cpnskeys.broker.TestClients.Client;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-instance cloud topics: a client logged in as one instance of a gateway (client id {@code gw} or
 * {@code gw#n}) cannot read the replies addressed to another instance of the same gateway, nor send a Key Request on
 * another instance's topic, on the embedded cloud broker.
 */
@Timeout(120)
class CloudInstanceTopicsAttackIT {
    private static final GatewayId GW = GatewayId.of("gw1");
    private static final String GW_SECRET = "gw1-secret-0123456789abcdef";

    @TempDir
    static Path folder;

    private static EmbeddedBroker broker;

    private final TestClients clients = new TestClients();

    @BeforeAll
    static void startBroker() {
        final BrokerConfig config = BrokerConfig.of(folder.resolve("broker"),
                Optional.of(TcpListenerConfig.loopback(0)), Optional.empty());
        broker = EmbeddedBroker.create(config, new CloudAccessPolicy(HashedSecrets.of(Map.of()),
                HashedSecrets.of(Map.of(GW.value(), HashedSecrets.sha256(GW_SECRET.getBytes(StandardCharsets.UTF_8))))));
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

    private Client instance(final int n) {
        final Client c = clients.tcp(broker.tcpPort(), CloudAccessPolicy.gatewayClientId(GW, n));
        c.connect(GW.value(), GW_SECRET);
        return c;
    }

    @Test
    void instanceSubscribe_anotherInstancesReplies_failsSuback() {
        final Client second = instance(2);

        assertSubscribeRefused(second, Topics.cloudRepliesFilter(GW, 0));
        assertSubscribeRefused(second, Topics.cloud(GW, 1, Topics.KEY_DELIVERY));
        assertSubscribeRefused(second, Topics.CLOUD_PREFIX + GW.value() + "/+/" + Topics.KEY_DELIVERY);
        assertSubscribeRefused(second, Topics.CLOUD_PREFIX + GW.value() + "/#");
    }

    @Test
    void firstInstanceSubscribe_aNumberedInstancesReplies_failsSuback() {
        assertSubscribeRefused(instance(0), Topics.cloudRepliesFilter(GW, 1));
    }

    @Test
    void instancePublish_anotherInstancesKeyRequestTopic_disconnected() {
        final Client second = instance(2);

        second.publish(Topics.cloud(GW, 0, Topics.KEY_REQUEST), "forged");

        assertDisconnectedNotAuthorized(second);
    }
}
