package org.cpnskeys.server.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.function.UnaryOperator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a clustered Vert.x for a CPNS Server, with the Hazelcast cluster manager ({@code vertx-hazelcast}).
 * Hazelcast's community edition authenticates no member, so nothing that guards security is kept in the cluster:
 * single use of digest answers and the failure counts are in the store (README, "What the cluster holds"). What
 * goes through Vert.x shared data (the per-gateway request rate counters) is local without a cluster and
 * Hazelcast-backed with one: the same code path serves both.
 */
public final class ServerCluster {
    private static final Logger LOG = LoggerFactory.getLogger(ServerCluster.class);

    private ServerCluster() {
    }

    /** Joins (or forms) the cluster; completes with the clustered Vert.x, or fails if Hazelcast cannot start. */
    public static Future<Vertx> join(final ClusterConfig config) {
        return join(config, new VertxOptions(), b -> b);
    }

    /**
     * Like {@link #join(ClusterConfig)}, starting from {@code base} options (for example metrics options) and
     * letting {@code extras} add to the builder (for example a metrics factory): a clustered server must report
     * the same metrics as a single one.
     */
    public static Future<Vertx> join(final ClusterConfig config, final VertxOptions base,
            final UnaryOperator<VertxBuilder> extras) {
        final HazelcastClusterManager manager = new HazelcastClusterManager(hazelcastConfig(config));
        final String address = address(config.host());
        final VertxOptions options = new VertxOptions(base).setEventBusOptions(new EventBusOptions()
                .setHost(address).setPort(0).setClusterPublicHost(address));
        return extras.apply(Vertx.builder().with(options)).withClusterManager(manager).buildClustered()
                .onSuccess(v -> LOG.info("joined cluster {} as {}:{} ({} member(s) now)", config.clusterName(),
                        config.host(), config.port(), manager.getNodes().size()));
    }

    /** The Hazelcast configuration: Vert.x's defaults, then our network: bind address, port, member list. */
    static Config hazelcastConfig(final ClusterConfig config) {
        final Config hz = ConfigUtil.loadConfig();
        hz.setClusterName(config.clusterName());
        hz.setProperty("hazelcast.phone.home.enabled", "false");
        final String address = address(config.host());
        hz.setProperty("hazelcast.local.localAddress", address);
        hz.setProperty("hazelcast.logging.type", "slf4j");
        hz.setProperty("hazelcast.shutdownhook.enabled", "false");
        // members are listed, so there is nothing to wait for before joining
        hz.setProperty("hazelcast.wait.seconds.before.join", "0");
        // members started at the same moment may each form a cluster of one (neither listens yet when the other
        // looks): they look for each other again every 10 s and merge, instead of after Hazelcast's 5 minutes
        hz.setProperty("hazelcast.merge.first.run.delay.seconds", "10");
        hz.setProperty("hazelcast.merge.next.run.delay.seconds", "10");
        hz.addListenerConfig(new com.hazelcast.config.ListenerConfig(new MembershipLog()));
        final NetworkConfig network = hz.getNetworkConfig();
        network.setPort(config.port()).setPortAutoIncrement(false);
        // the address to announce is the property above; no interface list: Hazelcast would also drop every listed
        // member whose address is not on it (members on other hosts or containers would never be tried)
        final JoinConfig join = network.getJoin();
        join.getAutoDetectionConfig().setEnabled(false);
        join.getMulticastConfig().setEnabled(config.multicast());
        join.getTcpIpConfig().setEnabled(!config.multicast() && config.serviceDns().isEmpty())
                .setMembers(config.members());
        config.serviceDns().ifPresent(dns -> join.getKubernetesConfig().setEnabled(true)
                .setProperty("service-dns", dns).setProperty("service-port", Integer.toString(config.port())));
        return hz;
    }

    /** Logs every change of the cluster's members (who joined or left, how many there are now). */
    private static final class MembershipLog implements com.hazelcast.cluster.MembershipListener {
        @Override
        public void memberAdded(final com.hazelcast.cluster.MembershipEvent e) {
            LOG.info("cluster member {} joined: {} member(s) now", e.getMember().getAddress(), e.getMembers().size());
        }

        @Override
        public void memberRemoved(final com.hazelcast.cluster.MembershipEvent e) {
            LOG.info("cluster member {} left: {} member(s) now", e.getMember().getAddress(), e.getMembers().size());
        }
    }

    /**
     * The address of {@code host}: Hazelcast binds to an interface given by address, so a host name (such as a
     * container's network alias) is resolved first; an address stays as it is.
     */
    static String address(final String host) {
        try {
            return java.net.InetAddress.getByName(host).getHostAddress();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("cannot resolve the cluster host " + host + ": " + e.getMessage(), e);
        }
    }
}
