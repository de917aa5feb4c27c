package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;

import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.server.OperationsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The server's per-gateway request rate limit, seen from a PN GW on the cloud broker. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GatewayRateLimitIT {
    static final int LIMIT = 5;
    @TempDir
    static Path dir;
    static Fixture f;
    static CloudGatewayClient fast;
    static CloudGatewayClient calm;

    @BeforeAll
    static void start() throws Exception {
        f = new Fixture(dir, LocalSystem.Options.defaults().withServerOperations(
                OperationsConfig.NONE.withGatewayRequestsPerSecond(LIMIT)),
                (realm, why) -> Future.succeededFuture(Optional.empty()));
        fast = new CloudGatewayClient(f.system, GatewayId.of("fast-gw"));
        calm = new CloudGatewayClient(f.system, GatewayId.of("calm-gw"));
    }

    @AfterAll
    static void stop() {
        for (final AutoCloseable c : new AutoCloseable[] {fast, calm}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // closing anyway
            }
        }
        if (f != null) {
            f.close();
        }
    }

    @Test
    @DisplayName("a PN GW over its request rate gets 429 with retryAfter and the reason named; another gateway is not slowed, and the fast one gets through again in the next window")
    void overRate_refused429WithRetryAfter_otherGatewayUnaffected_thenRecovers() throws Exception {
        final int sent = 30;
        for (int i = 0; i < sent; i++) {
            fast.send(CloudGatewayClient.request(EntityId.of("rate-dev"), "rate-" + i, "alice", true));
        }
        // replies may come in any order: wait until each request has one
        Fixture.eventually(Duration.ofSeconds(30), "a reply to each of " + sent + " requests", () -> fast.received()
                .stream().map(r -> r.json().getString("requestId")).filter(id -> id.startsWith("rate-")).distinct()
                .count() == sent);
        int challenged = 0;
        CloudGatewayClient.Reply refused = null;
        for (final CloudGatewayClient.Reply r : fast.received()) {
            if (r.leaf().equals("challenge")) {
                challenged++;
            } else {
                refused = r;
            }
        }
        // 30 requests sent within at most a few one-second windows: at most LIMIT per window get through
        assertTrue(challenged < sent, "some refused");
        assertTrue(challenged >= LIMIT, "the first " + LIMIT + " of a window pass: " + challenged);
        assertEquals("key-delivery", refused.leaf());
        assertEquals(429, refused.json().getInteger("status"));
        assertTrue(refused.json().getInteger("retryAfter") >= 1, refused.json().encode());
        assertTrue(refused.json().getString("reason").contains("request rate limit of " + LIMIT)
                && refused.json().getString("reason").contains("fast-gw"), refused.json().encode());

        calm.send(CloudGatewayClient.request(EntityId.of("calm-dev"), "calm-1", "alice", true));
        assertEquals("challenge", calm.awaitFor("calm-1").leaf(), "another gateway has its own budget");

        // the next window: a bounded retry loop, each attempt a new request
        final long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String leaf;
        int attempt = 0;
        do {
            final String id = "again-" + attempt++;
            fast.send(CloudGatewayClient.request(EntityId.of("rate-dev"), id, "alice", true));
            leaf = fast.awaitFor(id).leaf();
        } while (!leaf.equals("challenge") && System.nanoTime() < end);
        assertEquals("challenge", leaf, "through again in a later window");
    }
}
