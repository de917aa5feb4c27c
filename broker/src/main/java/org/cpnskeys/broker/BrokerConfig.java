package org.cpnskeys.broker;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Everything {@link EmbeddedBroker} needs besides its access policy.
 *
 * <p>The broker keeps all of its files under {@code dataFolder}: {@code conf/config.xml} (written at every start,
 * owner-only permissions since it names the key store passwords), {@code data/} (HiveMQ's data folder; persistence
 * is in memory), {@code extensions/} (empty) and {@code log/} (the value of the {@code hivemq.log.folder} system
 * property; the broker itself writes no log files, logging belongs to the application's logback configuration).
 *
 * @param dataFolder the folder that holds all of the broker's files; created when missing
 * @param tcp the plain TCP listener, if any
 * @param tls the TLS listener, if any (at least one of the two is required)
 * @param maxInflightPerClient HiveMQ's {@code server-receive-maximum}: how many QoS 1/2 publishes one client may
 *        have unacknowledged at once (1 to 65535; HiveMQ's own default is 10). The per-client queue
 *        ({@code max-queue-size}) is set to ten times this, and at least 1000.
 * @param maxPacketSizeBytes the largest MQTT packet the broker accepts (1 to 268435460 bytes)
 */
public record BrokerConfig(Path dataFolder, Optional<TcpListenerConfig> tcp, Optional<TlsListenerConfig> tls,
                           int maxInflightPerClient, int maxPacketSizeBytes) {
    /** Default for {@link #maxInflightPerClient()}. */
    public static final int DEFAULT_MAX_INFLIGHT_PER_CLIENT = 1000;
    /** Default for {@link #maxPacketSizeBytes()}: 64 KiB, far above any protocol message. */
    public static final int DEFAULT_MAX_PACKET_SIZE_BYTES = 64 * 1024;
    /** The largest packet size HiveMQ accepts in its configuration. */
    public static final int HIVEMQ_MAX_PACKET_SIZE_BYTES = 268_435_460;

    public BrokerConfig {
        if (dataFolder == null) {
            throw new IllegalArgumentException("data folder is missing");
        }
        dataFolder = dataFolder.toAbsolutePath().normalize();
        if (tcp == null || tls == null) {
            throw new IllegalArgumentException("listener options must not be null (use Optional.empty())");
        }
        if (tcp.isEmpty() && tls.isEmpty()) {
            throw new IllegalArgumentException("at least one listener (TCP or TLS) is required");
        }
        if (tcp.isPresent() && tls.isPresent() && tcp.get().port() != 0 && tcp.get().port() == tls.get().port()) {
            throw new IllegalArgumentException("TCP and TLS listeners cannot share port " + tcp.get().port());
        }
        if (maxInflightPerClient < 1 || maxInflightPerClient > 65_535) {
            throw new IllegalArgumentException("maxInflightPerClient must be 1 to 65535, was " + maxInflightPerClient);
        }
        if (maxPacketSizeBytes < 1 || maxPacketSizeBytes > HIVEMQ_MAX_PACKET_SIZE_BYTES) {
            throw new IllegalArgumentException("maxPacketSizeBytes must be 1 to " + HIVEMQ_MAX_PACKET_SIZE_BYTES
                    + ", was " + maxPacketSizeBytes);
        }
    }

    /** A configuration with the default in-flight limit and packet size. */
    public static BrokerConfig of(final Path dataFolder, final Optional<TcpListenerConfig> tcp,
                                  final Optional<TlsListenerConfig> tls) {
        return new BrokerConfig(dataFolder, tcp, tls, DEFAULT_MAX_INFLIGHT_PER_CLIENT, DEFAULT_MAX_PACKET_SIZE_BYTES);
    }

    /** HiveMQ's per-client queue size for this configuration. */
    long maxQueueSize() {
        return Math.max(1000L, 10L * maxInflightPerClient);
    }

    Path confFolder() {
        return dataFolder.resolve("conf");
    }

    Path hivemqDataFolder() {
        return dataFolder.resolve("data");
    }

    Path extensionsFolder() {
        return dataFolder.resolve("extensions");
    }

    Path logFolder() {
        return dataFolder.resolve("log");
    }
}
