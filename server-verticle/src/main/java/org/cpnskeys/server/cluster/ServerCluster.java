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
 * What the servers share then goes through Vert.x shared data (the (nonce, nc) replay set), which is local
 * without a cluster and Hazelcast-backed with one: the same code path serves both.
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
        final VertxOptions options = new VertxOptions(base).setEventBusOptions(new EventBusOptions()
                .setHost(config.host()).setPort(0).setClusterPublicHost(config.host()));
        return extras.apply(Vertx.builder().with(options)).withClusterManager(manager).buildClustered()
                .onSuccess(v -> LOG.info("joined cluster {} as {}:{} ({} member(s) now)", config.clusterName(),
                        config.host(), config.port(), manager.getNodes().size()));
    }

    /** The Hazelcast configuration: Vert.x's defaults, then our network: bind address, port, member list. */
    static Config hazelcastConfig(final ClusterConfig config) {
        final Config hz = ConfigUtil.loadConfig();
        hz.setClusterName(config.clusterName());
        hz.setProperty("hazelcast.phone.home.enabled", "false");
        hz.setProperty("hazelcast.local.localAddress", config.host());
        hz.setProperty("hazelcast.logging.type", "slf4j");
        hz.setProperty("hazelcast.shutdownhook.enabled", "false");
        // members are listed, so there is nothing to wait for before joining
        hz.setProperty("hazelcast.wait.seconds.before.join", "0");
        final NetworkConfig network = hz.getNetworkConfig();
        network.setPort(config.port()).setPortAutoIncrement(false);
        network.getInterfaces().setEnabled(true).addInterface(config.host());
        final JoinConfig join = network.getJoin();
        join.getAutoDetectionConfig().setEnabled(false);
        join.getMulticastConfig().setEnabled(config.multicast());
        join.getTcpIpConfig().setEnabled(!config.multicast() && config.serviceDns().isEmpty())
                .setMembers(config.members());
        config.serviceDns().ifPresent(dns -> join.getKubernetesConfig().setEnabled(true)
                .setProperty("service-dns", dns).setProperty("service-port", Integer.toString(config.port())));
        return hz;
    }
}
