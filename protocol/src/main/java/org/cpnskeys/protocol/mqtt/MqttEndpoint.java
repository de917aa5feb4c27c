package org.cpnskeys.protocol.mqtt;

import java.util.Optional;

import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.TrustOptions;

/**
 * Where and how to reach an MQTT broker. With TLS, the broker's certificate is always checked against
 * {@code trust}; its host name is checked too unless {@code verifyHostname} is false (only for brokers
 * addressed by an IP that their certificate cannot name). {@code keyCert} is the client's own certificate for
 * mutual TLS. {@code username}/{@code password} are MQTT CONNECT credentials.
 *
 * <p>Without TLS the host must be loopback ({@link PlaintextPolicy}), unless {@code insecurePlaintext} says the
 * operator accepted a plain link to another host ({@link #insecurePlain}); the check runs when the endpoint is made.
 */
public record MqttEndpoint(String host, int port, boolean tls, Optional<TrustOptions> trust,
        Optional<KeyCertOptions> keyCert, boolean verifyHostname, Optional<String> username,
        Optional<String> password, boolean insecurePlaintext) {
    public MqttEndpoint {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("broker host is missing");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("broker port must be 1-65535");
        }
        if (tls && trust.isEmpty()) {
            throw new IllegalArgumentException("a TLS broker endpoint needs a trust anchor");
        }
        if (!tls) {
            PlaintextPolicy.check(host, insecurePlaintext, "broker link");
        }
    }

    /**
     * A plain endpoint to a host that need not be loopback, because the operator said so ({@code
     * --insecure-plaintext}): warns now. Never a default.
     */
    public static MqttEndpoint insecurePlain(final String host, final int port, final String username,
            final String password) {
        return new MqttEndpoint(host, port, false, Optional.empty(), Optional.empty(), false,
                Optional.ofNullable(username), Optional.ofNullable(password), true);
    }

    /** A plain endpoint; the host must be loopback ({@link PlaintextPolicy}), else this throws saying why. */
    public static MqttEndpoint plain(final String host, final int port, final String username, final String password) {
        return new MqttEndpoint(host, port, false, Optional.empty(), Optional.empty(), false,
                Optional.ofNullable(username), Optional.ofNullable(password), false);
    }

    public static MqttEndpoint tls(final String host, final int port, final TrustOptions trust,
            final Optional<KeyCertOptions> keyCert, final boolean verifyHostname, final Optional<String> username,
            final Optional<String> password) {
        return new MqttEndpoint(host, port, true, Optional.of(trust), keyCert, verifyHostname, username, password,
                false);
    }

    @Override
    public String toString() {
        return (tls ? "mqtts://" : "mqtt://") + host + ":" + port + username.map(u -> " as " + u).orElse("");
    }
}
