package org.cpnskeys.server.cluster;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How a server joins the Vert.x cluster of CPNS Servers (Hazelcast): on a closed network, with every member
 * listed explicitly; multicast discovery is off unless asked for.
 *
 * @param host        the address this member binds and announces (Hazelcast and the Vert.x event bus)
 * @param port        Hazelcast's port on {@code host}
 * @param members     the members to contact, {@code host:port} each (this one may be among them)
 * @param clusterName members only join a cluster of the same name
 * @param multicast   discover members by multicast instead of the list (open networks only)
 * @param serviceDns  discover members by this DNS name instead of the list: every address it resolves to is a
 *                    member (a Kubernetes headless Service; Hazelcast's Kubernetes discovery in DNS lookup mode)
 */
public record ClusterConfig(String host, int port, List<String> members, String clusterName, boolean multicast,
        Optional<String> serviceDns) {
    public static final int DEFAULT_PORT = 5701;
    public static final String DEFAULT_CLUSTER_NAME = "cpns-servers";

    public ClusterConfig {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("cluster host is required");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("cluster port must be 1-65535");
        }
        members = List.copyOf(Objects.requireNonNull(members, "members"));
        for (final String m : members) {
            if (m.isBlank() || m.contains(" ")) {
                throw new IllegalArgumentException("cluster member must be host or host:port, not '" + m + "'");
            }
        }
        Objects.requireNonNull(serviceDns, "serviceDns");
        if (serviceDns.isPresent() && (multicast || !members.isEmpty() || serviceDns.get().isBlank())) {
            throw new IllegalArgumentException("discover members either by a service DNS name, or by the list, or by multicast");
        }
        if (!multicast && members.isEmpty() && serviceDns.isEmpty()) {
            throw new IllegalArgumentException("list the cluster members (host:port), give a service DNS name, or enable multicast");
        }
        if (clusterName == null || clusterName.isBlank()) {
            throw new IllegalArgumentException("cluster name is required");
        }
    }

    /** Explicit members on a closed network, default cluster name, no multicast. */
    public static ClusterConfig of(final String host, final int port, final List<String> members) {
        return new ClusterConfig(host, port, members, DEFAULT_CLUSTER_NAME, false, Optional.empty());
    }

    /** Members found through the DNS name of a headless Service (Kubernetes), each on {@code port}. */
    public static ClusterConfig byServiceDns(final String host, final int port, final String serviceDns) {
        return new ClusterConfig(host, port, List.of(), DEFAULT_CLUSTER_NAME, false, Optional.of(serviceDns));
    }
}
