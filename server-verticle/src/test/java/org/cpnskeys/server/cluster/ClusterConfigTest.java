package org.cpnskeys.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import org.junit.jupiter.api.Test;

/** How members find each other: a closed list by default, a headless Service's DNS name on Kubernetes. */
class ClusterConfigTest {
    @Test
    void listedMembers_tcpIpOnly_noMulticastNoKubernetes() {
        final Config hz = ServerCluster.hazelcastConfig(ClusterConfig.of("10.0.0.5", 5701,
                List.of("10.0.0.5:5701", "10.0.0.6:5701")));
        final JoinConfig join = hz.getNetworkConfig().getJoin();
        assertTrue(join.getTcpIpConfig().isEnabled());
        assertEquals(List.of("10.0.0.5:5701", "10.0.0.6:5701"), join.getTcpIpConfig().getMembers());
        assertFalse(join.getMulticastConfig().isEnabled());
        assertFalse(join.getKubernetesConfig().isEnabled());
        assertEquals(5701, hz.getNetworkConfig().getPort());
    }

    @Test
    void serviceDns_kubernetesDnsLookup_onTheMemberPort_listOff() {
        final Config hz = ServerCluster.hazelcastConfig(ClusterConfig.byServiceDns("10.1.2.3", 5701, "cpns-server-hz"));
        final JoinConfig join = hz.getNetworkConfig().getJoin();
        assertTrue(join.getKubernetesConfig().isEnabled());
        assertEquals("cpns-server-hz", join.getKubernetesConfig().getProperty("service-dns"));
        assertEquals("5701", join.getKubernetesConfig().getProperty("service-port"));
        assertFalse(join.getTcpIpConfig().isEnabled());
        assertFalse(join.getMulticastConfig().isEnabled());
        assertEquals("10.1.2.3", hz.getProperty("hazelcast.local.localAddress"));
    }

    @Test
    void discovery_exactlyOneWay_orAClearError() {
        assertThrows(IllegalArgumentException.class, () -> ClusterConfig.of("127.0.0.1", 5701, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new ClusterConfig("127.0.0.1", 5701,
                List.of("127.0.0.1:5701"), ClusterConfig.DEFAULT_CLUSTER_NAME, false, Optional.of("svc")));
        assertThrows(IllegalArgumentException.class, () -> new ClusterConfig("127.0.0.1", 5701, List.of(),
                ClusterConfig.DEFAULT_CLUSTER_NAME, true, Optional.of("svc")));
        assertThrows(IllegalArgumentException.class, () -> ClusterConfig.byServiceDns("127.0.0.1", 5701, " "));
    }
}
