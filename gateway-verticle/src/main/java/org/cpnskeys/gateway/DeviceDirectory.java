package org.cpnskeys.gateway;

import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import io.vertx.core.Future;

import org.cpnskeys.gateway.pan.DeviceRegister;
import org.cpnskeys.gateway.pan.PanCertificateAuthority;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.Status;

/**
 * What the PAN broker learned about each PNE's latest connection at CONNECT: how it authenticated (TLS client
 * certificate or not) and, with a certificate, the certificate itself, whose fingerprint is shown to the user when
 * asked to approve the device's Key Request. Written by the broker's threads, read by the gateway verticle.
 *
 * <p>The gateway acts as proxy only for a PNE whose connection is mutually authenticated (R4): a PNE the
 * directory does not know, or one that connected without a certificate (an insecure password listener someone
 * enabled), is refused. And it serves only a PNE still admitted by the device register ({@link #checkAdmitted}):
 * a device revoked while its Key Request waits for the user or the server gets nothing.
 */
public final class DeviceDirectory {
    /**
     * One PNE connection as the broker authenticated it; {@code certificate} empty = no certificate. Its hashes are
     * taken once, at CONNECT: every Key Request reads them (the register's key, the receipt's device, the user's
     * fingerprint).
     */
    private record Connection(Optional<Certificate> certificate) {
    }

    /** A client certificate with its SHA-256 (lower-case hex, the register's key) and its short fingerprint. */
    private record Certificate(X509Certificate x509, String sha256, String fingerprint) {
        static Certificate of(final X509Certificate x509) {
            return new Certificate(x509, DeviceRegister.sha256(x509), PanCertificateAuthority.fingerprint(x509));
        }
    }

    private final Map<EntityId, Connection> connections = new ConcurrentHashMap<>();
    private final boolean brokerEnforcesCertificates;
    private volatile DeviceRegister register;

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

    /** The register {@link #checkAdmitted} reads (the gateway keeps it fresh); until given, nobody is admitted. */
    public void useRegister(final DeviceRegister deviceRegister) {
        this.register = Objects.requireNonNull(deviceRegister, "deviceRegister");
    }

    /** The PNE connected with a TLS client certificate (verified against the PAN CA). */
    public void connected(final EntityId entity, final X509Certificate certificate) {
        connections.put(entity, new Connection(Optional.of(Certificate.of(certificate))));
    }

    /** The PNE connected without a client certificate (for example by user name and password). */
    public void connectedWithoutCertificate(final EntityId entity) {
        connections.put(entity, new Connection(Optional.empty()));
    }

    public Optional<String> fingerprint(final EntityId entity) {
        return certificate(entity).map(Certificate::fingerprint);
    }

    /** The SHA-256 of the DER of the PNE's latest client certificate (a consent receipt's {@code device}). */
    public Optional<String> certificateSha256(final EntityId entity) {
        return certificate(entity).map(Certificate::sha256);
    }

    /** Whether the PNE's latest connection presented a client certificate; false for an unknown PNE. */
    public boolean mutuallyAuthenticated(final EntityId entity) {
        return brokerEnforcesCertificates || certificate(entity).isPresent();
    }

    /**
     * Succeeds when the device register still admits the PNE: the certificate of its latest connection is not
     * revoked, and not every certificate enrolled for it is (what is known with an external broker, which shows the
     * gateway no certificate). Fails with 403 otherwise. Reads the register's in-memory snapshot (the gateway
     * re-reads the file within {@link GatewayApplication#REGISTER_RELOAD_MS}): non-blocking.
     */
    public Future<Void> checkAdmitted(final EntityId entity) {
        final DeviceRegister r = register;
        final boolean revoked = r == null || r.revokedOnly(entity)
                || certificate(entity).filter(c -> r.isRevoked(c.sha256())).isPresent();
        return revoked
                ? Future.failedFuture(new ProtocolException(Status.FORBIDDEN, "the device's PAN certificate is revoked"))
                : Future.succeededFuture();
    }

    private Optional<Certificate> certificate(final EntityId entity) {
        return Optional.ofNullable(connections.get(entity)).flatMap(Connection::certificate);
    }
}
