package org.cpnskeys.broker;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away PKI for tests: one CA (EC P-256), a server certificate for localhost/127.0.0.1 and client
 * certificates with a chosen CN; writes the broker's key and trust stores.
 */
final class TestPki {
    static final String STORE_PASSWORD = "test-store-pw";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KeyPair caKeys;
    private final X509Certificate caCertificate;
    private final X509CertificateHolder caHolder;

    private TestPki(final String caName) throws GeneralSecurityException, OperatorCreationException, IOException {
        caKeys = newKeyPair();
        final X500Name name = new X500Name("CN=" + caName);
        final JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
        final X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(), notBefore(),
                notAfter(), name, caKeys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                .addExtension(Extension.subjectKeyIdentifier, false,
                        extensions.createSubjectKeyIdentifier(caKeys.getPublic()));
        caHolder = builder.build(signer(caKeys));
        caCertificate = new JcaX509CertificateConverter().getCertificate(caHolder);
    }

    static TestPki create(final String caName) {
        try {
            return new TestPki(caName);
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot create test CA", e);
        }
    }

    /** A key and certificate issued by this CA. */
    record Issued(KeyPair keys, X509Certificate certificate, X509Certificate ca) {
        KeyStore keyStore(final String type) {
            try {
                final KeyStore store = KeyStore.getInstance(type);
                store.load(null, null);
                store.setKeyEntry("key", keys.getPrivate(), STORE_PASSWORD.toCharArray(),
                        new Certificate[] {certificate, ca});
                return store;
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException(e);
            }
        }

        KeyManagerFactory keyManagerFactory() {
            try {
                final KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                factory.init(keyStore("PKCS12"), STORE_PASSWORD.toCharArray());
                return factory;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    Issued server() {
        return issue("localhost", true);
    }

    Issued client(final String commonName) {
        return issue(commonName, false);
    }

    private Issued issue(final String commonName, final boolean server) {
        try {
            final KeyPair keys = newKeyPair();
            final JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            final X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(caHolder.getSubject(),
                    serial(), notBefore(), notAfter(), new X500Name("CN=" + commonName), keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false,
                            new ExtendedKeyUsage(server ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            extensions.createAuthorityKeyIdentifier(caCertificate));
            if (server) {
                builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.dNSName, "localhost"),
                    new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
            }
            final X509Certificate certificate = new JcaX509CertificateConverter()
                    .getCertificate(builder.build(signer(caKeys)));
            return new Issued(keys, certificate, caCertificate);
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot issue test certificate", e);
        }
    }

    /** A trust store holding this CA. */
    KeyStore trustStore(final String type) {
        try {
            final KeyStore store = KeyStore.getInstance(type);
            store.load(null, null);
            store.setCertificateEntry("ca", caCertificate);
            return store;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    TrustManagerFactory trustManagerFactory() {
        try {
            final TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trustStore("PKCS12"));
            return factory;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The broker's TLS listener on a free port with a server key store and this CA as trust store, both written
     * into {@code folder} as {@code type} ("PKCS12" or "JKS").
     */
    TlsListenerConfig listener(final Path folder, final String type, final boolean clientCertificateRequired) {
        final String suffix = "PKCS12".equals(type) ? ".p12" : ".jks";
        final Path keyStore = folder.resolve("server-key" + suffix);
        final Path trustStore = folder.resolve("trust" + suffix);
        write(server().keyStore(type), keyStore);
        write(trustStore(type), trustStore);
        return new TlsListenerConfig("127.0.0.1", 0, keyStore, STORE_PASSWORD, STORE_PASSWORD, trustStore,
                STORE_PASSWORD, clientCertificateRequired);
    }

    private static void write(final KeyStore store, final Path file) {
        try {
            Files.createDirectories(file.getParent());
            try (OutputStream out = Files.newOutputStream(file)) {
                store.store(out, STORE_PASSWORD.toCharArray());
            }
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot write " + file, e);
        }
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return generator.generateKeyPair();
    }

    private static org.bouncycastle.operator.ContentSigner signer(final KeyPair keys)
            throws OperatorCreationException {
        return new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate());
    }

    private static BigInteger serial() {
        return new BigInteger(96, RANDOM).add(BigInteger.ONE);
    }

    private static Date notBefore() {
        return Date.from(Instant.now().minus(Duration.ofMinutes(5)));
    }

    private static Date notAfter() {
        return Date.from(Instant.now().plus(Duration.ofDays(1)));
    }
}
