package org.cpnskeys.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import com.hazelcast.config.Config;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The Hazelcast configuration a member gets from its {@link ClusterConfig}. */
class ServerClusterConfigTest {
    @Test
    @DisplayName("P7 a member given by host name (a container's network alias) binds to that name's address")
    void hostName_resolvedToAddress() {
        final Config hz = ServerCluster.hazelcastConfig(ClusterConfig.of("localhost", 5701, List.of("localhost:5701")));
        assertEquals("127.0.0.1", hz.getProperty("hazelcast.local.localAddress"));
        assertFalse(hz.getNetworkConfig().getInterfaces().isEnabled(),
                "an interface list would also filter out the members at other addresses");
        assertEquals(List.of("localhost:5701"), hz.getNetworkConfig().getJoin().getTcpIpConfig().getMembers(),
                "members stay names: Hazelcast resolves them when it connects");
    }

    @Test
    @DisplayName("P7 an unknown cluster host is a clear error")
    void unknownHost_clearError() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerCluster.hazelcastConfig(ClusterConfig.of("no-such-host.invalid", 5701, List.of("x:5701"))));
        assertTrue(e.getMessage().contains("no-such-host.invalid"), e.getMessage());
    }
}
