package org.cpnskeys.protocol.tls;

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
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import org.cpnskeys.protocol.crypto.SecretFiles;

/**
 * A small file-backed certificate authority (EC P-256, SHA256withECDSA): the gateway's PAN CA and the server's
 * cloud CA are both one of these. It issues TLS server identities (a broker's certificate) and client identities
 * (CN = a PNE's Entity ID or a PN GW's Gateway ID).
 *
 * <p>On first use {@link #loadOrCreate} generates a key and a self-signed CA certificate (CA:true, pathlen 0,
 * keyCertSign and cRLSign) in the folder of its {@link Layout}: the private key as unencrypted PKCS#8 PEM,
 * owner-only (0600) in an owner-only (0700) folder, written first; the certificate as PEM, written last. Later
 * uses load both. A folder with only one of them, an unreadable file, a key that does not match the certificate,
 * a certificate that is not a CA or has expired all fail with an {@link IOException} naming the file and the
 * remedy; nothing is overwritten (a new CA would orphan everything the old one issued).
 *
 * <p>Methods that generate keys or touch files are <b>blocking</b>: call them from a worker. Instances are
 * immutable and thread-safe.
 */
public final class CertificateAuthority {
    public static final Duration DEFAULT_CA_VALIDITY = Duration.ofDays(3650);
    public static final Duration DEFAULT_LEAF_VALIDITY = Duration.ofDays(825);

    private static final String CURVE = "secp256r1";
    static final String SIGNATURE = "SHA256withECDSA";
    /** Certificates start a little in the past so that a peer whose clock lags slightly accepts them. */
    private static final Duration BACKDATE = Duration.ofMinutes(5);
    private static final Pattern DNS_NAME = Pattern.compile(
            "(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * Where a CA lives and how its messages name it.
     *
     * @param label how messages name the CA, e.g. {@code PAN CA}
     * @param keyFile the private key's file name in the folder
     * @param certificateFile the certificate's file name in the folder
     * @param consequence what replacing the CA means, said in the remedy of an error
     */
    public record Layout(String label, String keyFile, String certificateFile, String consequence) {
        public Layout {
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(keyFile, "keyFile");
            Objects.requireNonNull(certificateFile, "certificateFile");
            Objects.requireNonNull(consequence, "consequence");
        }
    }

    private final PrivateKey caKey;
    private final X509Certificate caCertificate;
    /** The issuer name exactly as encoded in the CA certificate (never re-parsed from a String: NOTES-stack). */
    private final X500Name caName;
    private final String label;

    CertificateAuthority(final PrivateKey caKey, final X509Certificate caCertificate, final String label) {
        this.caKey = caKey;
        this.caCertificate = caCertificate;
        this.label = label;
        try {
            this.caName = new JcaX509CertificateHolder(caCertificate).getSubject();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException("cannot read the CA certificate's subject", e);
        }
    }

    /**
     * Loads the CA from {@code folder}, or creates it there. Blocking (file I/O, key generation).
     *
     * @param commonName used only when creating: the CA certificate's CN
     * @param caValidity used only when creating
     * @throws IOException when the folder's state is incomplete or corrupt (the message names the file and the remedy)
     */
    public static CertificateAuthority loadOrCreate(final Path folder, final Layout files, final String commonName,
            final Duration caValidity) throws IOException {
        Objects.requireNonNull(folder, "folder");
        checkValidity(caValidity, "CA validity");
        final Path keyFile = folder.resolve(files.keyFile());
        final Path certFile = folder.resolve(files.certificateFile());
        final boolean hasKey = java.nio.file.Files.exists(keyFile);
        final boolean hasCert = java.nio.file.Files.exists(certFile);
        if (hasKey && hasCert) {
            return CertificateAuthorityFiles.load(keyFile, certFile, files);
        }
        if (hasKey || hasCert) {
            final Path present = hasKey ? keyFile : certFile;
            final Path missing = hasKey ? certFile : keyFile;
            throw new IOException(files.label() + " state in " + folder + " is incomplete: " + present.getFileName()
                    + " exists but " + missing.getFileName() + " is missing (an interrupted first start or a partial"
                    + " restore). Restore the missing file, or remove " + present.getFileName()
                    + " to create a new " + files.label() + " (" + files.consequence() + ")");
        }
        return create(folder, keyFile, certFile, files, commonName, caValidity);
    }

    /**
     * A short, human-comparable fingerprint: the first 8 bytes of the SHA-256 of the certificate's DER encoding,
     * upper-case hex in groups of two bytes, e.g. {@code AB12-CD34-EF56-7890}. Enough for a person to compare what
     * one side shows with what the other prints; not a substitute for full certificate validation.
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

    /** The CA certificate's subject as encoded in it (the issuer of everything this CA signs). */
    public X500Name caName() {
        return caName;
    }

    public String caCertificatePem() {
        return Pem.certificate(caCertificate);
    }

    public String caFingerprint() {
        return fingerprint(caCertificate);
    }

    /**
     * Issues a TLS server identity: a fresh EC P-256 key, CN = the first DNS name (or IP address), all names as
     * subjectAltName, EKU serverAuth. The validity is cut to the CA's own end. Blocking (key generation).
     *
     * @param dnsNames host names the clients connect to; may be empty
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
     * Issues a TLS client identity: a fresh EC P-256 key, CN = {@code commonName} (what a broker's access rules
     * use), EKU clientAuth. The validity is cut to the CA's own end. Blocking (key generation).
     */
    public IssuedIdentity issueClient(final String commonName, final Duration validity) {
        checkValidity(validity, "client certificate validity");
        final KeyPair keyPair = generateKeyPair();
        final X509Certificate cert = sign(name(commonName), keyPair.getPublic(), validity, builder ->
                builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth)));
        return new IssuedIdentity(keyPair.getPrivate(), List.of(cert, caCertificate));
    }

    /** A client certificate for a public key the CA did not generate (a device's own signing request). */
    public X509Certificate issueClient(final String commonName, final PublicKey publicKey, final Duration validity) {
        checkValidity(validity, "client certificate validity");
        return sign(name(commonName), publicKey, validity, builder ->
                builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth)));
    }

    /** A signer with the CA's key (for revocation lists). Never expose the key itself. */
    public ContentSigner signer() {
        return signer(caKey);
    }

    /** A PKCS#12 trust store holding the CA certificate as a trusted-certificate entry under {@code alias}. */
    public byte[] trustStorePkcs12(final String alias, final char[] password) {
        Objects.requireNonNull(password, "password");
        try {
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry(alias, caCertificate);
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            store.store(out, password);
            return out.toByteArray();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build the PKCS#12 trust store", e);
        }
    }

    /** An X.500 name of one CN. */
    public static X500Name name(final String commonName) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
    }

    @Override
    public String toString() {
        return "CertificateAuthority[" + caCertificate.getSubjectX500Principal().getName() + ", fingerprint="
                + caFingerprint() + ", notAfter=" + caCertificate.getNotAfter().toInstant() + "]";
    }

    // ---- creation and loading -------------------------------------------------------------------------------

    private static CertificateAuthority create(final Path folder, final Path keyFile, final Path certFile,
            final Layout files, final String commonName, final Duration caValidity) throws IOException {
        SecretFiles.ownerOnlyDirectory(folder);
        final KeyPair keyPair = generateKeyPair();
        final X500Name name = name(commonName);
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
            throw new IllegalStateException("cannot create the " + files.label() + " certificate", e);
        }
        final byte[] keyPem = Pem.privateKey(keyPair.getPrivate());
        try {
            SecretFiles.writeNew(keyFile, keyPem);
        } catch (FileAlreadyExistsException raced) {
            throw new IOException(files.label() + " key " + keyFile + " appeared while creating it: another process"
                    + " is using the folder " + folder, raced);
        } finally {
            Arrays.fill(keyPem, (byte) 0);
        }
        SecretFiles.writeAtomically(certFile, Pem.certificate(cert).getBytes(StandardCharsets.US_ASCII));
        return new CertificateAuthority(keyPair.getPrivate(), cert, files.label());
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
            throw new IllegalStateException("the " + label + " certificate expired on " + caEnd);
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

    private static void checkValidity(final Duration validity, final String what) {
        if (validity == null || validity.isZero() || validity.isNegative()) {
            throw new IllegalArgumentException(what + " must be positive");
        }
    }
}
