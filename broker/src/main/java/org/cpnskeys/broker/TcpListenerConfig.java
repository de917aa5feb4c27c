package org.cpnskeys.broker;

/**
 * A plain MQTT-over-TCP listener.
 *
 * @param bindAddress the address to bind, for example {@code 127.0.0.1} (loopback only) or {@code 0.0.0.0}
 * @param port the port; 0 binds any free port (read the real one with {@link EmbeddedBroker#tcpPort()})
 */
public record TcpListenerConfig(String bindAddress, int port) {
    public TcpListenerConfig {
        bindAddress = ConfigChecks.bindAddress(bindAddress);
        ConfigChecks.port(port);
    }

    /** A loopback-only listener on the given port (0 = any free port). */
    public static TcpListenerConfig loopback(final int port) {
        return new TcpListenerConfig("127.0.0.1", port);
    }
}
