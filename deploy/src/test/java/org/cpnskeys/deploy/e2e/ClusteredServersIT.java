package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.server.ServerApplication;
import org.cpnskeys.server.ServerConfig;
import org.cpnskeys.server.store.KeyInfo;
import org.cpnskeys.server.store.KeyState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two CPNS Servers as members of one Vert.x cluster (two clustered Vert.x instances in this JVM, Hazelcast on
 * loopback with the members listed), sharing one cloud broker (server A embeds it, server B uses it as an
 * external broker), one PostgreSQL database and one folder of shared secrets. A PN GW, played by the test,
 * sends Key Requests on its cloud topic; the broker's shared subscription spreads them over both servers.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ClusteredServersIT {
    private static final String PASSWORD = "cluster-test-password";

    @TempDir
    static Path dir;
    static TwoClusteredServers servers;
    static ServerApplication a;
    static ServerApplication b;
    static CloudGatewayClient gw;
    static Ha1 ha1;

    @BeforeAll
    static void start() throws Exception {
        servers = new TwoClusteredServers(dir, PASSWORD, "alice");
        a = servers.a;
        b = servers.b;
        ha1 = DigestClient.ha1("alice", ServerConfig.DEFAULT_REALM, PASSWORD.toCharArray());
        gw = new CloudGatewayClient(a, GatewayId.of("cluster-gw"));
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
        if (servers != null) {
            servers.close();
        }
    }

    /** Request, challenge, answer (nc 1); returns the answered request and the final reply. */
    static JsonObject[] exchange(final String entity, final String requestId, final String cnonce) throws Exception {
        final JsonObject request = CloudGatewayClient.request(EntityId.of(entity), requestId, "alice", true);
        gw.send(request);
        final CloudGatewayClient.Reply challenge = gw.awaitFor(requestId);
        assertEquals("challenge", challenge.leaf());
        final JsonObject answered = CloudGatewayClient.answered(request, ServerConfig.DEFAULT_REALM,
                challenge.json().getString("nonce"), "00000001", cnonce, ha1);
        gw.send(answered);
        return new JsonObject[] {answered, gw.awaitFor(requestId).json()};
    }

    /**
     * Verifies that Key Requests spread over both servers, every one is delivered (a nonce issued by one server
     * is accepted by the other: one shared HMAC key), and every key lands in the one shared store.
     */
    @Test
    void keyRequests_throughSharedSubscription_servedByBothAndStoredOnce() throws Exception {
        final long beforeA = a.handledRequests();
        final long beforeB = b.handledRequests();
        final int n = 30;
        for (int i = 0; i < n; i++) {
            final JsonObject delivery = exchange("cl-dev-" + i, "cl-r-" + i, "clcnonce" + i)[1];
            assertEquals(200, delivery.getInteger("status"), delivery::encode);
        }
        final long byA = a.handledRequests() - beforeA;
        final long byB = b.handledRequests() - beforeB;
        assertEquals(2L * n, byA + byB, "every request and answer taken up exactly once");
        assertTrue(byA > 0 && byB > 0, "both servers served requests: A " + byA + ", B " + byB);

        final List<KeyInfo> stored = Fixture.await(b.store().list());
        for (int i = 0; i < n; i++) {
            final String entity = "cl-dev-" + i;
            assertEquals(1, stored.stream().filter(k -> k.entityId().value().equals(entity)
                    && k.state() == KeyState.ACTIVE).count(), entity);
            // the master key is shared too: each server opens what the other sealed
            final Optional<String> kcvA = Fixture.await(a.keyCheckValue(EntityId.of(entity)));
            assertTrue(kcvA.isPresent(), entity);
            assertEquals(kcvA, Fixture.await(b.keyCheckValue(EntityId.of(entity))), entity);
        }
    }

    /**
     * Verifies that a (nonce, nc) accepted by one server is refused by the other: the replayed answer is sent
     * until the server that did not accept it has taken it up at least once (bounded), and every replay gets 401.
     */
    @Test
    void replayedNonceCount_acceptedByOneServer_refusedByTheOther() throws Exception {
        final JsonObject request = CloudGatewayClient.request(EntityId.of("cl-replay"), "cl-replay-r", "alice", true);
        gw.send(request);
        final String nonce = gw.awaitFor("cl-replay-r").json().getString("nonce");
        final JsonObject answered = CloudGatewayClient.answered(request, ServerConfig.DEFAULT_REALM, nonce,
                "00000001", "replaycn", ha1);
        final long a0 = a.handledRequests();
        final long b0 = b.handledRequests();
        gw.send(answered);
        final CloudGatewayClient.Reply accepted = gw.awaitFor("cl-replay-r");
        assertEquals(200, accepted.json().getInteger("status"), accepted.json()::encode);
        final boolean acceptedByA = a.handledRequests() > a0;
        assertTrue(acceptedByA ^ b.handledRequests() > b0, "exactly one server took up the answer");
        final ServerApplication other = acceptedByA ? b : a;

        int refusedByOther = 0;
        for (int attempt = 0; attempt < 40 && refusedByOther == 0; attempt++) {
            final long before = other.handledRequests();
            gw.send(answered);
            final CloudGatewayClient.Reply replay = gw.awaitFor("cl-replay-r");
            assertEquals(401, replay.json().getInteger("status"), replay.json()::encode);
            assertTrue(!replay.json().containsKey("wrappedKey"), "a refused replay carries no key");
            if (other.handledRequests() > before) {
                refusedByOther++;
            }
        }
        assertTrue(refusedByOther > 0, "the other server never took up a replay in 40 tries");
        final Optional<String> kcv = Fixture.await(a.keyCheckValue(EntityId.of("cl-replay")));
        assertTrue(kcv.isPresent());
        assertEquals(1, Fixture.await(a.store().list()).stream()
                .filter(k -> k.entityId().value().equals("cl-replay")).count(), "one key for the entity");
    }
}
