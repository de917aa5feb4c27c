package org.cpnskeys.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.cpnskeys.server.auth.ReplayGuard;

/** Two clustered Vert.x instances (Hazelcast on loopback, members listed) share the digest replay set. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class ClusteredReplayGuardTest {
    private static Vertx a;
    private static Vertx b;

    @BeforeAll
    static void joinTwoMembers() throws Exception {
        final int pa = freePort();
        final int pb = freePort();
        final List<String> members = List.of("127.0.0.1:" + pa, "127.0.0.1:" + pb);
        final Future<Vertx> first = ServerCluster.join(ClusterConfig.of("127.0.0.1", pa, members));
        final Future<Vertx> second = ServerCluster.join(ClusterConfig.of("127.0.0.1", pb, members));
        Future.all(first, second).await(90, TimeUnit.SECONDS);
        a = first.result();
        b = second.result();
    }

    @AfterAll
    static void leave() throws Exception {
        Future.join(a == null ? Future.succeededFuture() : a.close(), b == null ? Future.succeededFuture() : b.close())
                .await(60, TimeUnit.SECONDS);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Verifies that a (nonce, nc) pair used on one member is refused on the other, and a new nc is accepted. */
    @Test
    void firstUse_pairUsedOnOtherMember_refused(final VertxTestContext ctx) {
        final ReplayGuard onA = new ReplayGuard(a);
        final ReplayGuard onB = new ReplayGuard(b);
        final java.time.Instant ttl = java.time.Instant.now().plusSeconds(300); // the nonce's expiry
        onA.firstUse("nonce-x", "00000001", ttl)
                .compose(first -> Future.all(Future.succeededFuture(first), onB.firstUse("nonce-x", "00000001", ttl),
                        onB.firstUse("nonce-x", "00000002", ttl)))
                .compose(r -> Future.all(Future.succeededFuture(r), onA.firstUse("nonce-x", "00000002", ttl)))
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    final io.vertx.core.CompositeFuture firstRound = r.resultAt(0);
                    assertTrue(firstRound.<Boolean>resultAt(0), "first use on A");
                    assertFalse(firstRound.<Boolean>resultAt(1), "same pair on B");
                    assertTrue(firstRound.<Boolean>resultAt(2), "next nc on B");
                    assertFalse(r.<Boolean>resultAt(1), "next nc again on A");
                    ctx.completeNow();
                })));
    }

    /** Verifies that both members see a two-member cluster. */
    @Test
    void join_twoMembersListed_bothClustered() {
        assertTrue(a.isClustered());
        assertTrue(b.isClustered());
        assertEquals(2, ((io.vertx.core.internal.VertxInternal) a).clusterManager().getNodes().size());
    }
}
