package org.cpnskeys.gateway.pan;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.cpnskeys.broker.PanAccessPolicy;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.crypto.SecretFiles;

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
    public static final Duration DEFAULT_CA_VALIDITY = Duration.ofDays(3650);
    public static final Duration DEFAULT_SERVER_VALIDITY = Duration.ofDays(825);
    public static final Duration DEFAULT_DEVICE_VALIDITY = Duration.ofDays(825);
    /** How long a CRL of this CA is valid (its nextUpdate): days, not years (issue [H] 4h). */
    public static final Duration CRL_VALIDITY = Duration.ofDays(7);

    private static final String CURVE = "secp256r1";
    private static final String SIGNATURE = "SHA256withECDSA";
    /** Certificates start a little in the past so that a PNE whose clock lags slightly accepts them. */
    private static final Duration BACKDATE = Duration.ofMinutes(5);
    private static final int MAX_CN = 64;
    private static final String CA_SUFFIX = " PAN CA";
    private static final Pattern DNS_NAME = Pattern.compile(
            "(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final PrivateKey caKey;
    private final X509Certificate caCertificate;
    /** The issuer name exactly as encoded in the CA certificate (never re-parsed from a String: NOTES-stack). */
    private final X500Name caName;

    private PanCertificateAuthority(final PrivateKey caKey, final X509Certificate caCertificate) {
        this.caKey = caKey;
        this.caCertificate = caCertificate;
        try {
            this.caName = new JcaX509CertificateHolder(caCertificate).getSubject();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException("cannot read the CA certificate's subject", e);
        }
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
        Objects.requireNonNull(folder, "folder");
        checkGatewayName(gatewayName);
        checkValidity(caValidity, "CA validity");
        final Path keyFile = folder.resolve(KEY_FILE);
        final Path certFile = folder.resolve(CERTIFICATE_FILE);
        final boolean hasKey = Files.exists(keyFile);
        final boolean hasCert = Files.exists(certFile);
        if (hasKey && hasCert) {
            return load(keyFile, certFile);
        }
        if (hasKey || hasCert) {
            final Path present = hasKey ? keyFile : certFile;
            final Path missing = hasKey ? certFile : keyFile;
            throw new IOException("PAN CA state in " + folder + " is incomplete: " + present.getFileName()
                    + " exists but " + missing.getFileName() + " is missing (an interrupted first start or a partial"
                    + " restore). Restore the missing file, or remove " + present.getFileName()
                    + " to create a new PAN CA (every PNE must then be enrolled again)");
        }
        return create(folder, keyFile, certFile, gatewayName, caValidity);
    }

    /** {@link #loadOrCreate(Path, String, Duration)} with {@link #DEFAULT_CA_VALIDITY}. Blocking. */
    public static PanCertificateAuthority loadOrCreate(final Path folder, final String gatewayName) throws IOException {
        return loadOrCreate(folder, gatewayName, DEFAULT_CA_VALIDITY);
    }

    /**
     * A short, human-comparable fingerprint: the first 8 bytes of the SHA-256 of the certificate's DER encoding,
     * upper-case hex in groups of two bytes, e.g. {@code AB12-CD34-EF56-7890}. Enough for a person to compare what
     * a device shows with what the gateway prints; not a substitute for full certificate validation.
     */
    public static String fingerprint(final X509Certificate certificate) {
        try {
            final byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
            final String hex = HexFormat.of().withUpperCase().formatHex(digest, 0, 8);
            return hex.substring(0, 4) + "-" + hex.substring(4, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot fingerprint certificate", e);
        }
    }

    public X509Certificate caCertificate() {
        return caCertificate;
    }

    public String caCertificatePem() {
        return Pem.certificate(caCertificate);
    }

    /** {@link #fingerprint(X509Certificate)} of the CA certificate, to show to the user when enrolling a PNE. */
    public String caFingerprint() {
        return fingerprint(caCertificate);
    }

    /**
     * Issues the PAN broker's TLS server identity: a fresh EC P-256 key, CN = the first DNS name (or IP address),
     * all names as subjectAltName, EKU serverAuth. The validity is cut to the CA's own end. Blocking (key generation).
     *
     * @param dnsNames host names the PNEs connect to (e.g. {@code localhost}, {@code gateway.local}); may be empty
     * @param ipAddresses IPv4 or IPv6 literals; may be empty, but not both lists
     */
    public IssuedIdentity issueServer(final List<String> dnsNames, final List<String> ipAddresses, final Duration validity) {
        checkValidity(validity, "server certificate validity");
        final List<GeneralName> names = new ArrayList<>();
        for (final String dns : Objects.requireNonNull(dnsNames, "dnsNames")) {
            if (dns == null || !DNS_NAME.matcher(dns).matches()) {
                throw new IllegalArgumentException("not a valid DNS name: " + dns);
            }
            names.add(new GeneralName(GeneralName.dNSName, dns));
        }
        for (final String ip : Objects.requireNonNull(ipAddresses, "ipAddresses")) {
            names.add(ipAddress(ip));
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("a server certificate needs at least one DNS name or IP address");
        }
        final String cn = dnsNames.isEmpty() ? ipAddresses.get(0) : dnsNames.get(0);
        final KeyPair keyPair = generateKeyPair();
        final X509Certificate cert = sign(name(cn), keyPair.getPublic(), validity, builder -> {
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(names.toArray(new GeneralName[0])));
        });
        return new IssuedIdentity(keyPair.getPrivate(), List.of(cert, caCertificate));
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
        checkValidity(validity, "device certificate validity");
        final KeyPair keyPair = generateKeyPair();
        final X509Certificate cert = sign(name(entityId.value()), keyPair.getPublic(), validity, builder ->
                builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth)));
        return new IssuedIdentity(keyPair.getPrivate(), List.of(cert, caCertificate));
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
        Objects.requireNonNull(csrPem, "csrPem");
        checkValidity(validity, "device certificate validity");
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
        final EntityId entity = entityOf(csr.getSubject());
        return new DeviceCertificate(entity, sign(name(entity.value()), publicKey, validity, builder ->
                builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth))));
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
        final Instant caEnd = caCertificate.getNotAfter().toInstant();
        final Instant next = now.plus(CRL_VALIDITY).isAfter(caEnd) ? caEnd : now.plus(CRL_VALIDITY);
        try {
            final X509v2CRLBuilder builder = new X509v2CRLBuilder(caName, Date.from(now));
            builder.setNextUpdate(Date.from(next));
            for (final Revocation r : revoked) {
                builder.addCRLEntry(r.serial(), Date.from(r.revokedAt()), CRLReason.cessationOfOperation);
            }
            builder.addExtension(Extension.authorityKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(caCertificate));
            builder.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(now.toEpochMilli())));
            return new JcaX509CRLConverter().getCRL(builder.build(signer(caKey)));
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
        Objects.requireNonNull(password, "password");
        try {
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry(TRUST_ALIAS, caCertificate);
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            store.store(out, password);
            return out.toByteArray();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build the PKCS#12 trust store", e);
        }
    }

    /** Writes {@link #trustStorePkcs12(char[])} to {@code file}, owner-only and atomically. Blocking file I/O. */
    public void writeTrustStore(final Path file, final char[] password) throws IOException {
        SecretFiles.writeAtomically(file, trustStorePkcs12(password));
    }

    @Override
    public String toString() {
        return "PanCertificateAuthority[" + caCertificate.getSubjectX500Principal().getName() + ", fingerprint="
                + caFingerprint() + ", notAfter=" + caCertificate.getNotAfter().toInstant() + "]";
    }

    // ---- creation and loading -------------------------------------------------------------------------------

    private static PanCertificateAuthority create(final Path folder, final Path keyFile, final Path certFile,
            final String gatewayName, final Duration caValidity) throws IOException {
        SecretFiles.ownerOnlyDirectory(folder);
        final KeyPair keyPair = generateKeyPair();
        final X500Name name = name(gatewayName + CA_SUFFIX);
        final Instant now = Instant.now();
        final X509Certificate cert;
        try {
            final JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            final X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(),
                    Date.from(now.minus(BACKDATE)), Date.from(now.plus(caValidity)), name, keyPair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keyPair.getPublic()));
            cert = new JcaX509CertificateConverter().getCertificate(builder.build(signer(keyPair.getPrivate())));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot create the PAN CA certificate", e);
        }
        final byte[] keyPem = Pem.privateKey(keyPair.getPrivate());
        try {
            SecretFiles.writeNew(keyFile, keyPem);
        } catch (FileAlreadyExistsException raced) {
            throw new IOException("PAN CA key " + keyFile + " appeared while creating it: another gateway process is"
                    + " using the folder " + folder, raced);
        } finally {
            Arrays.fill(keyPem, (byte) 0);
        }
        SecretFiles.writeAtomically(certFile, Pem.certificate(cert).getBytes(StandardCharsets.US_ASCII));
        return new PanCertificateAuthority(keyPair.getPrivate(), cert);
    }

    private static PanCertificateAuthority load(final Path keyFile, final Path certFile) throws IOException {
        final X509Certificate cert = Pem.parseCertificate(Files.readAllBytes(certFile), "PAN CA certificate " + certFile);
        final byte[] keyPem = Files.readAllBytes(keyFile);
        final PrivateKey key;
        try {
            key = Pem.parsePrivateKey(keyPem, "PAN CA key " + keyFile);
        } finally {
            Arrays.fill(keyPem, (byte) 0);
        }
        if (cert.getBasicConstraints() < 0) {
            throw new IOException("PAN CA certificate " + certFile + " is not a CA certificate");
        }
        if (!keyMatches(key, cert.getPublicKey())) {
            throw new IOException("PAN CA key " + keyFile + " does not match the certificate " + certFile
                    + " (files from two different CAs?)");
        }
        try {
            cert.checkValidity();
        } catch (CertificateExpiredException e) {
            throw new IOException("PAN CA certificate " + certFile + " expired on " + cert.getNotAfter().toInstant()
                    + ": remove " + keyFile.getFileName() + " and " + certFile.getFileName()
                    + " to create a new PAN CA (every PNE must then be enrolled again)", e);
        } catch (CertificateNotYetValidException e) {
            throw new IOException("PAN CA certificate " + certFile + " is valid only from "
                    + cert.getNotBefore().toInstant() + ": check the gateway's clock", e);
        }
        return new PanCertificateAuthority(key, cert);
    }

    private static boolean keyMatches(final PrivateKey key, final PublicKey publicKey) {
        try {
            final byte[] probe = new byte[32];
            RANDOM.nextBytes(probe);
            final Signature signer = Signature.getInstance(SIGNATURE);
            signer.initSign(key);
            signer.update(probe);
            final byte[] signature = signer.sign();
            final Signature verifier = Signature.getInstance(SIGNATURE);
            verifier.initVerify(publicKey);
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    // ---- issuing --------------------------------------------------------------------------------------------

    /** Adds the leaf-specific extensions to a builder. */
    @FunctionalInterface
    private interface Extensions {
        void add(X509v3CertificateBuilder builder) throws CertIOException;
    }

    private X509Certificate sign(final X500Name subject, final PublicKey publicKey, final Duration validity,
            final Extensions extensions) {
        final Instant now = Instant.now();
        final Instant caEnd = caCertificate.getNotAfter().toInstant();
        if (!now.isBefore(caEnd)) {
            throw new IllegalStateException("the PAN CA certificate expired on " + caEnd);
        }
        final Instant requestedEnd = now.plus(validity);
        final Instant end = requestedEnd.isAfter(caEnd) ? caEnd : requestedEnd;
        try {
            final JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            final X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(caName, serial(),
                    Date.from(now.minus(BACKDATE)), Date.from(end), subject, publicKey)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(publicKey))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCertificate));
            extensions.add(builder);
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer(caKey)));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot issue a certificate", e);
        }
    }

    private static ContentSigner signer(final PrivateKey key) {
        try {
            return new JcaContentSignerBuilder(SIGNATURE).build(key);
        } catch (OperatorCreationException e) {
            throw new IllegalStateException("cannot create a " + SIGNATURE + " signer", e);
        }
    }

    private static KeyPair generateKeyPair() {
        try {
            final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec(CURVE), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate an EC P-256 key", e);
        }
    }

    /** A positive random serial of at most 20 bytes (RFC 5280 section 4.1.2.2). */
    private static BigInteger serial() {
        return new BigInteger(159, RANDOM).add(BigInteger.ONE);
    }

    private static X500Name name(final String commonName) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
    }

    private static GeneralName ipAddress(final String ip) {
        if (ip == null || ip.isEmpty() || !ip.matches("[0-9A-Fa-f:.]+")) {
            throw new IllegalArgumentException("not a valid IP address literal: " + ip);
        }
        try {
            return new GeneralName(GeneralName.iPAddress, ip);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a valid IP address literal: " + ip, e);
        }
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

    private static void checkValidity(final Duration validity, final String what) {
        if (validity == null || validity.isZero() || validity.isNegative()) {
            throw new IllegalArgumentException(what + " must be positive");
        }
    }
}
