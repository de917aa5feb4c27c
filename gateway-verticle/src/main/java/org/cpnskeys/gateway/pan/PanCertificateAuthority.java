package org.cpnskeys.gateway.pan;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.cpnskeys.broker.PanAccessPolicy;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.crypto.SecretFiles;
import org.cpnskeys.protocol.tls.CertificateAuthority;
import org.cpnskeys.protocol.tls.IssuedIdentity;
import org.cpnskeys.protocol.tls.Pem;

/**
 * The gateway's own PAN certificate authority: it issues the PAN broker's TLS server certificate and one
 * client certificate per PNE (CN = Entity ID), so that the broker can require mutual TLS on the PAN.
 *
 * <p>On first start {@link #loadOrCreate} generates an EC P-256 key and a self-signed CA certificate
 * ({@code CN=<gatewayName> PAN CA}, CA:true, pathlen 0, keyCertSign and cRLSign) in the given folder:
 * <ul>
 *   <li>{@value #KEY_FILE}: the CA private key, unencrypted PKCS#8 PEM ("PRIVATE KEY"), owner-only (0600) in an
 *       owner-only (0700) folder: on a home gateway the file permissions are the protection, and a password kept
 *       in another file beside it would add nothing;</li>
 *   <li>{@value #CERTIFICATE_FILE}: the CA certificate, PEM.</li>
 * </ul>
 * Later starts load both files. The key is written first, the certificate last, each atomically; a folder with
 * only one of them, an unreadable file, a key that does not match the certificate, a certificate that is not a CA
 * or that has expired all fail with an {@link IOException} naming the file and the remedy (nothing is overwritten:
 * a new CA would orphan every enrolled PNE).
 *
 * <p>All methods that generate keys or touch files are <b>blocking</b>: call them from a worker
 * ({@code vertx.executeBlocking}), never from an event loop. Instances are immutable and thread-safe.
 */
public final class PanCertificateAuthority {
    /** The CA private key (PKCS#8 PEM, 0600) inside the folder. */
    public static final String KEY_FILE = "pan-ca-key.pem";
    /** The CA certificate (PEM) inside the folder. */
    public static final String CERTIFICATE_FILE = "pan-ca-cert.pem";
    /** The alias of the CA certificate in trust stores written by {@link #writeTrustStore}. */
    public static final String TRUST_ALIAS = "cpns-pan-ca";
    public static final Duration DEFAULT_CA_VALIDITY = CertificateAuthority.DEFAULT_CA_VALIDITY;
    public static final Duration DEFAULT_SERVER_VALIDITY = CertificateAuthority.DEFAULT_LEAF_VALIDITY;
    public static final Duration DEFAULT_DEVICE_VALIDITY = CertificateAuthority.DEFAULT_LEAF_VALIDITY;
    /** How long a CRL of this CA is valid (its nextUpdate): days, not years (issue [H] 4h). */
    public static final Duration CRL_VALIDITY = Duration.ofDays(7);

    private static final CertificateAuthority.Layout LAYOUT = new CertificateAuthority.Layout("PAN CA", KEY_FILE,
            CERTIFICATE_FILE, "every PNE must then be enrolled again");
    private static final int MAX_CN = 64;
    private static final String CA_SUFFIX = " PAN CA";

    private final CertificateAuthority ca;

    private PanCertificateAuthority(final CertificateAuthority ca) {
        this.ca = ca;
    }

    /**
     * Loads the PAN CA from {@code folder}, or creates it there on first start. Blocking (file I/O, key generation).
     *
     * @param gatewayName used only when creating: the CA is named {@code CN=<gatewayName> PAN CA} (1 to 57 printable
     *        characters)
     * @param caValidity used only when creating
     * @throws IOException when the folder's state is incomplete or corrupt (the message names the file and the remedy)
     */
    public static PanCertificateAuthority loadOrCreate(final Path folder, final String gatewayName,
            final Duration caValidity) throws IOException {
        checkGatewayName(gatewayName);
        return new PanCertificateAuthority(CertificateAuthority.loadOrCreate(folder, LAYOUT, gatewayName + CA_SUFFIX,
                caValidity));
    }

    /** {@link #loadOrCreate(Path, String, Duration)} with {@link #DEFAULT_CA_VALIDITY}. Blocking. */
    public static PanCertificateAuthority loadOrCreate(final Path folder, final String gatewayName) throws IOException {
        return loadOrCreate(folder, gatewayName, DEFAULT_CA_VALIDITY);
    }

    /** See {@link CertificateAuthority#fingerprint(X509Certificate)}. */
    public static String fingerprint(final X509Certificate certificate) {
        return CertificateAuthority.fingerprint(certificate);
    }

    public X509Certificate caCertificate() {
        return ca.caCertificate();
    }

    public String caCertificatePem() {
        return ca.caCertificatePem();
    }

    /** {@link #fingerprint(X509Certificate)} of the CA certificate, to show to the user when enrolling a PNE. */
    public String caFingerprint() {
        return ca.caFingerprint();
    }

    /**
     * Issues the PAN broker's TLS server identity (see {@link CertificateAuthority#issueServer}). Blocking.
     *
     * @param dnsNames host names the PNEs connect to (e.g. {@code localhost}, {@code gateway.local}); may be empty
     * @param ipAddresses IPv4 or IPv6 literals; may be empty, but not both lists
     */
    public IssuedIdentity issueServer(final List<String> dnsNames, final List<String> ipAddresses, final Duration validity) {
        return ca.issueServer(dnsNames, ipAddresses, validity);
    }

    /**
     * Issues a PNE's client identity: a fresh EC P-256 key, CN = the Entity ID (what the PAN broker's ACLs use),
     * EKU clientAuth. The validity is cut to the CA's own end. Blocking (key generation).
     */
    public IssuedIdentity issueDevice(final EntityId entityId, final Duration validity) {
        Objects.requireNonNull(entityId, "entityId");
        reservedName(entityId).ifPresent(why -> {
            throw new IllegalArgumentException(why);
        });
        return ca.issueClient(entityId.value(), validity);
    }

    /**
     * Issues a PNE's client certificate from the device's own PKCS#10 certificate signing request (PEM), so the
     * private key never leaves the device. The request's signature must verify (proof the device holds the key);
     * its subject must hold exactly one CN, a valid Entity ID, which becomes the certificate's only subject
     * attribute (anything else the device asked for, other attributes or extensions, is ignored); the key must be
     * EC (P-256 or larger) or RSA of at least 2048 bits. EKU clientAuth; the validity is cut to the CA's own end.
     * Blocking.
     *
     * @throws IOException when the request is unreadable, its signature does not verify, or its subject or key
     *         is not acceptable (the message says which; it never quotes the request)
     */
    public DeviceCertificate issueDeviceFromCsr(final byte[] csrPem, final Duration validity) throws IOException {
        return issueDevice(checkRequest(csrPem), validity);
    }

    /**
     * Checks a device's PKCS#10 request as {@link #issueDeviceFromCsr} does, without issuing anything: so that a
     * bulk enrolment can refuse a duplicate Entity ID before it signs. Blocking (signature check).
     *
     * @throws IOException as {@link #issueDeviceFromCsr}
     */
    public CheckedRequest checkRequest(final byte[] csrPem) throws IOException {
        Objects.requireNonNull(csrPem, "csrPem");
        final PKCS10CertificationRequest csr = Pem.parseCertificationRequest(csrPem, "certificate signing request");
        final PublicKey publicKey;
        try {
            // JcaPKCS10CertificationRequest maps the key's OID to a JCA name ("EC", "RSA"), which the JDK needs
            publicKey = new JcaPKCS10CertificationRequest(csr).getPublicKey();
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IOException("the certificate signing request's public key is unreadable", e);
        }
        checkDeviceKey(publicKey);
        try {
            if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(publicKey))) {
                throw new IOException("the certificate signing request's signature does not verify");
            }
        } catch (OperatorCreationException | PKCSException e) {
            throw new IOException("the certificate signing request's signature cannot be checked: " + e.getMessage(), e);
        }
        return new CheckedRequest(entityOf(csr.getSubject()), publicKey);
    }

    /** Issues the certificate a {@link #checkRequest checked} request asked for. Blocking (signing). */
    public DeviceCertificate issueDevice(final CheckedRequest request, final Duration validity) {
        return new DeviceCertificate(request.entity(), ca.issueClient(request.entity().value(), request.publicKey(),
                validity));
    }

    /** A device's signing request whose signature, key and subject passed: the Entity ID and the key to certify. */
    public record CheckedRequest(EntityId entity, PublicKey publicKey) {
        public CheckedRequest {
            Objects.requireNonNull(entity, "entity");
            Objects.requireNonNull(publicKey, "publicKey");
        }
    }

    /** A device certificate issued from a signing request, and the Entity ID it names. */
    public record DeviceCertificate(EntityId entity, X509Certificate certificate) {
        /** The certificate as PEM text. */
        public String pem() {
            return Pem.certificate(certificate);
        }
    }

    /** The Entity ID a request's subject names: exactly one CN, which must be a valid Entity ID. */
    private static EntityId entityOf(final X500Name subject) throws IOException {
        final RDN[] cns = subject.getRDNs(BCStyle.CN);
        if (cns.length != 1 || cns[0].isMultiValued()) {
            throw new IOException("the certificate signing request's subject must hold exactly one CN (the Entity ID),"
                    + " found " + cns.length);
        }
        final String cn = IETFUtils.valueToString(cns[0].getFirst().getValue());
        final EntityId entity;
        try {
            entity = EntityId.of(cn);
        } catch (IllegalArgumentException e) {
            throw new IOException("the CN of the certificate signing request is not a valid Entity ID: "
                    + e.getMessage(), e);
        }
        final Optional<String> reserved = reservedName(entity);
        if (reserved.isPresent()) {
            throw new IOException(reserved.get());
        }
        return entity;
    }

    /**
     * Why {@code entity} cannot be a PNE's name, if it cannot: an Entity ID equal to or starting with
     * {@value PanAccessPolicy#RESERVED_PREFIX} (any case) is the system's own (the gateway's PAN user
     * {@code cpns-gateway}, the servers' {@code cpns-server-} client ids), and a device enrolled under one could
     * pass for the gateway on a broker that keys its rules on the certificate's CN (Mosquitto's acl).
     */
    public static Optional<String> reservedName(final EntityId entity) {
        return PanAccessPolicy.isReserved(entity.value())
                ? Optional.of("the Entity ID " + entity + " is reserved: names starting with \""
                        + PanAccessPolicy.RESERVED_PREFIX + "\" belong to the gateway and the servers; enroll the"
                        + " device under another Entity ID")
                : Optional.empty();
    }

    private static void checkDeviceKey(final PublicKey key) throws IOException {
        if (key instanceof ECPublicKey) {
            if (((ECPublicKey) key).getParams().getCurve().getField().getFieldSize() < 256) {
                throw new IOException("EC keys must be at least 256 bits (P-256)");
            }
        } else if (key instanceof RSAPublicKey) {
            if (((RSAPublicKey) key).getModulus().bitLength() < 2048) {
                throw new IOException("RSA keys must be at least 2048 bits");
            }
        } else {
            throw new IOException("unsupported key algorithm " + key.getAlgorithm() + " (use EC P-256 or RSA 2048+)");
        }
    }

    /** A revoked certificate as a CRL lists it: its serial number and when it was revoked. */
    public record Revocation(BigInteger serial, Instant revokedAt) {
        public Revocation {
            Objects.requireNonNull(serial, "serial");
            Objects.requireNonNull(revokedAt, "revokedAt");
            if (serial.signum() <= 0) {
                throw new IllegalArgumentException("a certificate serial number is positive");
            }
        }
    }

    /**
     * An X.509 v2 CRL signed by this CA listing {@code revoked} (reason keyCompromise is not claimed: each entry
     * says {@code cessationOfOperation}, the neutral reason for a device the user withdrew), for brokers that
     * check revocation themselves (Mosquitto's {@code crlfile}, the HiveMQ extension). thisUpdate is now;
     * nextUpdate is {@link #CRL_VALIDITY} later (cut to the CA's own end), so that a CRL an attacker kept cannot
     * stand in for a newer one for long: a consumer refuses every device once its CRL has lapsed, and the running
     * gateway re-issues the CRL long before that ({@link PanCrlRenewal}). The CRL number is thisUpdate in
     * milliseconds, so it grows from one CRL to the next. Blocking (signing).
     */
    public X509CRL issueCrl(final List<Revocation> revoked) {
        return issueCrl(revoked, Instant.now());
    }

    /** {@link #issueCrl(List)} as of {@code now}. Blocking (signing). */
    public X509CRL issueCrl(final List<Revocation> revoked, final Instant now) {
        Objects.requireNonNull(revoked, "revoked");
        Objects.requireNonNull(now, "now");
        final Instant caEnd = ca.caCertificate().getNotAfter().toInstant();
        final Instant next = now.plus(CRL_VALIDITY).isAfter(caEnd) ? caEnd : now.plus(CRL_VALIDITY);
        try {
            final X509v2CRLBuilder builder = new X509v2CRLBuilder(ca.caName(), Date.from(now));
            builder.setNextUpdate(Date.from(next));
            for (final Revocation r : revoked) {
                builder.addCRLEntry(r.serial(), Date.from(r.revokedAt()), CRLReason.cessationOfOperation);
            }
            builder.addExtension(Extension.authorityKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(ca.caCertificate()));
            builder.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(now.toEpochMilli())));
            return new JcaX509CRLConverter().getCRL(builder.build(ca.signer()));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot issue the PAN CRL", e);
        }
    }

    /** {@link #issueCrl(List, Instant)} as PEM text. */
    public String issueCrlPem(final List<Revocation> revoked, final Instant now) {
        return Pem.crl(issueCrl(revoked, now));
    }

    /** {@link #issueCrl} as PEM text ({@code -----BEGIN X509 CRL-----}). */
    public String issueCrlPem(final List<Revocation> revoked) {
        return Pem.crl(issueCrl(revoked));
    }

    /** A PKCS#12 trust store holding the CA certificate as a trusted-certificate entry ({@link #TRUST_ALIAS}). */
    public byte[] trustStorePkcs12(final char[] password) {
        return ca.trustStorePkcs12(TRUST_ALIAS, password);
    }

    /** Writes {@link #trustStorePkcs12(char[])} to {@code file}, owner-only and atomically. Blocking file I/O. */
    public void writeTrustStore(final Path file, final char[] password) throws IOException {
        SecretFiles.writeAtomically(file, trustStorePkcs12(password));
    }

    @Override
    public String toString() {
        return "PanCertificateAuthority[" + ca.caCertificate().getSubjectX500Principal().getName() + ", fingerprint="
                + caFingerprint() + ", notAfter=" + ca.caCertificate().getNotAfter().toInstant() + "]";
    }

    private static void checkGatewayName(final String gatewayName) {
        if (gatewayName == null || gatewayName.isBlank()) {
            throw new IllegalArgumentException("gateway name is missing");
        }
        if (gatewayName.length() + CA_SUFFIX.length() > MAX_CN) {
            throw new IllegalArgumentException("gateway name is too long (at most " + (MAX_CN - CA_SUFFIX.length())
                    + " characters)");
        }
        if (gatewayName.codePoints().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("gateway name must not hold control characters");
        }
    }
}
