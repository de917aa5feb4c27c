package org.cpnskeys.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;


/**
 * Two clustered Vert.x instances (Hazelcast on loopback, members listed) form one cluster. (Single use of digest
 * answers is the store's, not the cluster's: EuKeyRepositoryContract.)
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class ServerClusterJoinIT {
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

    /** Verifies that both members see a two-member cluster. */
    @Test
    void join_twoMembersListed_bothClustered() {
        assertTrue(a.isClustered());
        assertTrue(b.isClustered());
        assertEquals(2, ((io.vertx.core.internal.VertxInternal) a).clusterManager().getNodes().size());
    }
}
