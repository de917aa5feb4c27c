package org.cpnskeys.broker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.cpnskeys.protocol.crypto.SecretFiles;
import org.cpnskeys.protocol.tls.CertificateAuthority;
import org.cpnskeys.protocol.tls.IssuedIdentity;
import org.cpnskeys.protocol.tls.Pem;

/**
 * The TLS set-up of a cloud broker: the cloud CA (in {@code <data>/}{@value #CA_FOLDER}, created at first start),
 * the broker's identity (from the operator's files or issued by the cloud CA at every start) and the listener that
 * serves it, TLS 1.3 and 1.2 only. The cloud CA also issues gateways' client certificates
 * ({@code cpns server add-gateway --client-certificate}); the listener asks for one (optional) and accepts only
 * certificates of the cloud CA, so a gateway may log in with its certificate instead of, or with, its token.
 *
 * <p>Blocking (file I/O, key generation): call from a worker.
 */
public final class CloudTls {
    /** The cloud CA's folder inside the broker's (or server's) data folder. */
    public static final String CA_FOLDER = "cloud-ca";
    /** Where the cloud CA keeps its files. */
    public static final CertificateAuthority.Layout CA_LAYOUT = new CertificateAuthority.Layout("cloud CA",
            "cloud-ca-key.pem", "cloud-ca-cert.pem",
            "every gateway must then get a new file from 'cpns server add-gateway'");
    private static final String KEY_STORE = "cloud-broker.p12";
    private static final String TRUST_STORE = "cloud-clients-trust.p12";
    private static final SecureRandom RANDOM = new SecureRandom();

    private CloudTls() {
    }

    /**
     * What a prepared broker serves.
     *
     * @param listener the TLS listener (key and trust stores written owner-only into the configuration folder)
     * @param brokerCertificate the broker's own certificate (the leaf), which its in-process client pins
     * @param cloudCa the cloud CA of this data folder (issues the generated broker certificate and client ones)
     */
    public record Prepared(TlsListenerConfig listener, X509Certificate brokerCertificate, CertificateAuthority cloudCa) {
        /** The PEM a client trusts to reach this broker from its own process (the pinned leaf, no host check). */
        public String brokerCertificatePem() {
            return Pem.certificate(brokerCertificate);
        }
    }

    /** The cloud CA of {@code dataFolder} (in {@value #CA_FOLDER}), created there at first use. Blocking. */
    public static CertificateAuthority cloudCa(final Path dataFolder) throws IOException {
        return cloudCaIn(dataFolder.resolve(CA_FOLDER));
    }

    /** The cloud CA whose files are in {@code folder}, created there at first use. Blocking. */
    public static CertificateAuthority cloudCaIn(final Path folder) throws IOException {
        return CertificateAuthority.loadOrCreate(folder, CA_LAYOUT, "CPNS cloud CA",
                CertificateAuthority.DEFAULT_CA_VALIDITY);
    }

    /**
     * Loads or creates the cloud CA, takes or issues the broker's identity and writes the listener's stores into
     * {@code confFolder} with a fresh random password. Blocking.
     *
     * @param bindAddress the listener's address; an IP literal other than a wildcard is named in a generated
     *        certificate too
     */
    public static Prepared prepare(final Path dataFolder, final Path confFolder, final String bindAddress,
            final int port, final CloudTlsOptions options) throws IOException {
        if (options.insecurePlaintext()) {
            throw new IllegalArgumentException("no TLS to prepare: the listener is plain (--insecure-plaintext)");
        }
        final CertificateAuthority ca = cloudCaIn(options.caFolder().orElse(dataFolder.resolve(CA_FOLDER)));
        final IssuedIdentity identity = options.operatorCertificate() ? operatorIdentity(options)
                : issueBrokerIdentity(ca, options.names(), bindAddress);
        SecretFiles.ownerOnlyDirectory(confFolder);
        final String password = randomPassword();
        identity.writePkcs12(confFolder.resolve(KEY_STORE), password.toCharArray());
        SecretFiles.writeAtomically(confFolder.resolve(TRUST_STORE),
                ca.trustStorePkcs12("cpns-cloud-ca", password.toCharArray()));
        final TlsListenerConfig listener = new TlsListenerConfig(bindAddress, port, confFolder.resolve(KEY_STORE),
                password, password, confFolder.resolve(TRUST_STORE), password, false);
        return new Prepared(listener, identity.certificate(), ca);
    }

    private static IssuedIdentity issueBrokerIdentity(final CertificateAuthority ca, final List<String> extraNames,
            final String bindAddress) {
        final Set<String> dns = new LinkedHashSet<>();
        final Set<String> ips = new LinkedHashSet<>();
        for (final String name : extraNames) {
            (isIpLiteral(name) ? ips : dns).add(name);
        }
        dns.add("localhost");
        ips.add("127.0.0.1");
        if (isIpLiteral(bindAddress) && !"0.0.0.0".equals(bindAddress) && !"::".equals(bindAddress)) {
            ips.add(bindAddress);
        }
        return ca.issueServer(new ArrayList<>(dns), new ArrayList<>(ips), CertificateAuthority.DEFAULT_LEAF_VALIDITY);
    }

    private static IssuedIdentity operatorIdentity(final CloudTlsOptions options) throws IOException {
        if (options.pkcs12File().isPresent()) {
            final Path file = options.pkcs12File().get();
            final byte[] raw = Files.readAllBytes(options.pkcs12PasswordFile().get());
            final char[] password = new String(raw, StandardCharsets.UTF_8).strip().toCharArray();
            Arrays.fill(raw, (byte) 0);
            try {
                return IssuedIdentity.readPkcs12(file, password);
            } finally {
                Arrays.fill(password, '\0');
            }
        }
        final Path certFile = options.certificateFile().get();
        final Path keyFile = options.keyFile().get();
        final List<X509Certificate> chain = Pem.parseCertificates(Files.readAllBytes(certFile),
                "broker certificate " + certFile);
        final byte[] keyPem = Files.readAllBytes(keyFile);
        final PrivateKey key;
        try {
            key = Pem.parseAnyPrivateKey(keyPem, "broker key " + keyFile);
        } finally {
            Arrays.fill(keyPem, (byte) 0);
        }
        return new IssuedIdentity(key, chain);
    }

    private static boolean isIpLiteral(final String name) {
        return name.matches("[0-9.]+") || name.contains(":");
    }

    private static String randomPassword() {
        final byte[] raw = new byte[24];
        RANDOM.nextBytes(raw);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }
}
