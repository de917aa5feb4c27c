package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.hazelcast.config.Config;
import com.hazelcast.core.DistributedObject;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.server.ServerApplication;
import org.cpnskeys.server.ServerConfig;
import org.cpnskeys.server.cluster.ClusterConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack ([H] 4e): a stranger in the server cluster. Hazelcast's community edition authenticates no member, so
 * anyone who reaches the cluster port joins with the cluster's name alone. Here a plain Hazelcast member (no
 * secret of the servers, no Vert.x) joins two clustered servers on PostgreSQL and clears every map the
 * application keeps in the cluster, after each step of an attack. Nothing that guards security may change: a
 * digest answer already used stays refused on both members, and failures still lock a guessing gateway out,
 * because single use and failures live in the store (PostgreSQL authenticates its clients), not in the cluster.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ClusterStrangerAttackIT {
    private static final String PASSWORD = "stranger-test-password";
    /** The server's default: failures of one user through one gateway before that pair is locked out. */
    private static final int PAIR_LIMIT = 5;

    @TempDir
    static Path dir;
    static TwoClusteredServers servers;
    static ServerApplication a;
    static ServerApplication b;
    static HazelcastInstance stranger;
    static Ha1 ha1;

    @BeforeAll
    static void start() throws Exception {
        servers = new TwoClusteredServers(dir, PASSWORD, "alice");
        a = servers.a;
        b = servers.b;
        ha1 = DigestClient.ha1("alice", ServerConfig.DEFAULT_REALM, PASSWORD.toCharArray());
        stranger = Hazelcast.newHazelcastInstance(strangerConfig(TwoClusteredServers.freePort(), servers.members));
        Fixture.eventually(java.time.Duration.ofSeconds(60), "the stranger joined the servers' cluster",
                () -> stranger.getCluster().getMembers().size() == 3);
    }

    /** What anyone who reaches the cluster port can write: the cluster's name and a member's address. */
    private static Config strangerConfig(final int port, final List<String> members) {
        final Config hz = new Config();
        hz.setClusterName(ClusterConfig.DEFAULT_CLUSTER_NAME);
        hz.setProperty("hazelcast.phone.home.enabled", "false");
        hz.setProperty("hazelcast.logging.type", "slf4j");
        hz.setProperty("hazelcast.local.localAddress", "127.0.0.1");
        hz.setProperty("hazelcast.wait.seconds.before.join", "0");
        hz.getNetworkConfig().setPort(port).setPortAutoIncrement(false);
        hz.getNetworkConfig().getJoin().getAutoDetectionConfig().setEnabled(false);
        hz.getNetworkConfig().getJoin().getMulticastConfig().setEnabled(false);
        hz.getNetworkConfig().getJoin().getTcpIpConfig().setEnabled(true).setMembers(members);
        return hz;
    }

    @AfterAll
    static void stop() {
        if (stranger != null) {
            stranger.shutdown();
        }
        if (servers != null) {
            servers.close();
        }
    }

    /**
     * The stranger empties every map the application keeps in the cluster (Vert.x's own {@code __vertx.*}
     * bookkeeping of the event bus is left alone: emptying it concerns availability, not what is tested here).
     * Returns how many entries it wiped.
     */
    private static int strangerClearsTheMaps() {
        int wiped = 0;
        for (final DistributedObject o : stranger.getDistributedObjects()) {
            if (o instanceof IMap<?, ?> m && !o.getName().startsWith("__vertx")) {
                wiped += m.size();
                m.clear();
            }
        }
        return wiped;
    }

    @Test
    @DisplayName("4e a used answer stays refused on both members after a stranger in the cluster emptied its maps")
    void usedAnswer_afterStrangerClearedClusterMaps_stillRefusedByBothMembers() throws Exception {
        try (CloudGatewayClient gw = new CloudGatewayClient(a, GatewayId.of("stranger-gw-1"))) {
            final JsonObject request = CloudGatewayClient.request(EntityId.of("st-dev"), "st-r1", "alice", true);
            final String nonce = gw.challengeNonce(request);
            final JsonObject answered = CloudGatewayClient.answered(request, ServerConfig.DEFAULT_REALM, nonce,
                    "00000001", "stcnonce", ha1);
            gw.send(answered);
            final JsonObject delivered = gw.awaitFor("st-r1").json();
            assertEquals(200, delivered.getInteger("status"), delivered::encode);
            strangerClearsTheMaps();

            boolean seenByA = false;
            boolean seenByB = false;
            for (int i = 0; i < 40 && !(seenByA && seenByB); i++) {
                final long a0 = a.handledRequests();
                final long b0 = b.handledRequests();
                final JsonObject replay = i % 2 == 0 ? answered : answered.copy().put("requestId", "st-replay-" + i);
                gw.send(replay);
                final JsonObject reply = gw.awaitFor(replay.getString("requestId")).json();
                assertEquals(401, reply.getInteger("status"), "replay " + i + ": " + reply.encode());
                assertTrue(!reply.containsKey("wrappedKey"), "a refused replay carries no key");
                seenByA |= a.handledRequests() > a0;
                seenByB |= b.handledRequests() > b0;
                strangerClearsTheMaps();
            }
            assertTrue(seenByA && seenByB, "both members refused the replay (A " + seenByA + ", B " + seenByB + ")");
            assertEquals(1, Fixture.await(a.store().list()).stream()
                    .filter(k -> k.entityId().value().equals("st-dev")).count(), "one key for the entity");
        }
    }

    @Test
    @DisplayName("4e failures still lock a guessing gateway out when a stranger empties the cluster's maps after each")
    void wrongAnswers_strangerClearsMapsAfterEach_gatewayStillLockedOut() throws Exception {
        try (CloudGatewayClient gw = new CloudGatewayClient(a, GatewayId.of("stranger-gw-2"))) {
            final String nonce = gw.challengeNonce(CloudGatewayClient.request(EntityId.of("st-guess"), "st-g0", "alice",
                    true));
            final Ha1 guess = DigestClient.ha1("alice", ServerConfig.DEFAULT_REALM, "not-the-password".toCharArray());
            int nc = 0;
            for (int i = 0; i < PAIR_LIMIT + 1; i++) {
                final String id = "st-g" + (i + 1);
                gw.send(CloudGatewayClient.answered(CloudGatewayClient.request(EntityId.of("st-guess"), id, "alice",
                        true), ServerConfig.DEFAULT_REALM, nonce, DigestClient.nc(++nc), "guesscn-" + nc, guess));
                final int status = gw.awaitFor(id).json().getInteger("status");
                assertTrue(status == 401 || status == 429, "a wrong answer is refused: " + status);
                strangerClearsTheMaps();
            }
            // the right password now: still locked out, on whichever member takes it up
            for (int i = 0; i < 4; i++) {
                final String id = "st-right-" + i;
                gw.send(CloudGatewayClient.answered(CloudGatewayClient.request(EntityId.of("st-guess"), id, "alice",
                        true), ServerConfig.DEFAULT_REALM, nonce, DigestClient.nc(++nc), "rightcn-" + nc, ha1));
                final JsonObject reply = gw.awaitFor(id).json();
                assertEquals(429, reply.getInteger("status"), "locked out after the stranger's wipes: " + reply.encode());
            }
        }
    }
}
