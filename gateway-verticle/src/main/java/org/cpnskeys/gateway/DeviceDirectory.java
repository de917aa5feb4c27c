package org.cpnskeys.gateway;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.cpnskeys.protocol.EntityId;

/**
 * What the PAN broker learned about each PNE's latest connection at CONNECT: how it authenticated (TLS client
 * certificate or not) and, with a certificate, its fingerprint, shown to the user when asked to approve the
 * device's Key Request. Written by the broker's threads, read by the gateway verticle.
 *
 * <p>The gateway acts as proxy only for a PNE whose connection is mutually authenticated (R4): a PNE the
 * directory does not know, or one that connected without a certificate (an insecure password listener someone
 * enabled), is refused.
 */
public final class DeviceDirectory {
    /** One PNE connection as the broker authenticated it; {@code certificateFingerprint} empty = no certificate. */
    private record Connection(Optional<String> certificateFingerprint) {
    }

    private final Map<EntityId, Connection> connections = new ConcurrentHashMap<>();
    private final boolean brokerEnforcesCertificates;

    public DeviceDirectory() {
        this(false);
    }

    private DeviceDirectory(final boolean brokerEnforcesCertificates) {
        this.brokerEnforcesCertificates = brokerEnforcesCertificates;
    }

    /**
     * For an external PAN broker, which the gateway cannot ask how a client authenticated: its configuration
     * must require a client certificate from every PNE (deploy/mosquitto/pan does: {@code require_certificate}
     * and {@code use_identity_as_username}, and PNE topics only through the CN), and the directory trusts that.
     * No fingerprints are known, so the user is shown none.
     */
    public static DeviceDirectory trustingExternalBroker() {
        return new DeviceDirectory(true);
    }

    /** The PNE connected with a TLS client certificate (verified against the PAN CA). */
    public void connected(final EntityId entity, final String fingerprint) {
        connections.put(entity, new Connection(Optional.of(fingerprint)));
    }

    /** The PNE connected without a client certificate (for example by user name and password). */
    public void connectedWithoutCertificate(final EntityId entity) {
        connections.put(entity, new Connection(Optional.empty()));
    }

    public Optional<String> fingerprint(final EntityId entity) {
        return Optional.ofNullable(connections.get(entity)).flatMap(Connection::certificateFingerprint);
    }

    /** Whether the PNE's latest connection presented a client certificate; false for an unknown PNE. */
    public boolean mutuallyAuthenticated(final EntityId entity) {
        return brokerEnforcesCertificates || fingerprint(entity).isPresent();
    }
}
