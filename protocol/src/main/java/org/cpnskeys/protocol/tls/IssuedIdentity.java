package org.cpnskeys.protocol.tls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

import org.cpnskeys.protocol.crypto.SecretFiles;

/**
 * A private key with its certificate and chain (leaf first, then the CA), as issued by
 * a {@link CertificateAuthority}: a broker's TLS server identity, a PNE's or a gateway's client identity.
 * Immutable; {@link #toString()} never shows the key.
 */
public final class IssuedIdentity {
    /** The alias of the key entry in the PKCS#12 files this class writes. */
    public static final String ALIAS = "cpns-identity";

    private final PrivateKey privateKey;
    private final X509Certificate certificate;
    private final List<X509Certificate> chain;

    /**
     * @param privateKey the key matching {@code chain.get(0)}
     * @param chain the certificate chain, leaf first (at least the leaf)
     */
    public IssuedIdentity(final PrivateKey privateKey, final List<X509Certificate> chain) {
        this.privateKey = Objects.requireNonNull(privateKey, "private key");
        if (chain == null || chain.isEmpty()) {
            throw new IllegalArgumentException("certificate chain must hold at least the certificate");
        }
        this.chain = List.copyOf(chain);
        this.certificate = this.chain.get(0);
    }

    /**
     * Reads an identity from a PKCS#12 file written by {@link #writePkcs12(Path, char[])} (alias {@link #ALIAS},
     * or the only key entry). Blocking file I/O.
     *
     * @throws IOException when the file cannot be read, the password is wrong or no key entry is found
     */
    public static IssuedIdentity readPkcs12(final Path file, final char[] password) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            String alias = store.isKeyEntry(ALIAS) ? ALIAS : null;
            for (final String a : Collections.list(store.aliases())) {
                if (alias == null && store.isKeyEntry(a)) {
                    alias = a;
                }
            }
            if (alias == null) {
                throw new IOException(file + " holds no private key entry");
            }
            final PrivateKey key = (PrivateKey) store.getKey(alias, password);
            final Certificate[] certs = store.getCertificateChain(alias);
            final X509Certificate[] x509 = Arrays.copyOf(certs, certs.length, X509Certificate[].class);
            return new IssuedIdentity(key, List.of(x509));
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new IOException(file + " is not a readable PKCS#12 identity (wrong password or corrupt file)", e);
        }
    }

    /** The private key. Secret: never log or print it. */
    public PrivateKey privateKey() {
        return privateKey;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** Leaf first, then the issuing CA. */
    public List<X509Certificate> chain() {
        return chain;
    }

    /** The certificate as PEM text. */
    public String certificatePem() {
        return Pem.certificate(certificate);
    }

    /** The short fingerprint of the certificate ({@link CertificateAuthority#fingerprint(X509Certificate)}). */
    public String fingerprint() {
        return CertificateAuthority.fingerprint(certificate);
    }

    /**
     * This identity as a PKCS#12 key store (alias {@link #ALIAS}; the key is protected with the same password).
     * JDK 17 reads such a file with {@code KeyStore.getInstance("JKS")} as well, so it can be given to tools
     * that insist on a "JKS" key store type.
     */
    public byte[] toPkcs12(final char[] password) {
        Objects.requireNonNull(password, "password");
        try {
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(ALIAS, privateKey, password, chain.toArray(new Certificate[0]));
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            store.store(out, password);
            return out.toByteArray();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build the PKCS#12 key store", e);
        }
    }

    /** Writes {@link #toPkcs12(char[])} to {@code file}, owner-only (0600) and atomically. Blocking file I/O. */
    public void writePkcs12(final Path file, final char[] password) throws IOException {
        final byte[] content = toPkcs12(password);
        try {
            SecretFiles.writeAtomically(file, content);
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    /**
     * Writes the identity as PEM files for tools that take them (mosquitto_pub, openssl, curl, most device SDKs):
     * {@code keyFile} the unencrypted PKCS#8 private key, owner-only (0600); {@code certificateFile} the
     * certificate followed by the CA certificate. Both atomically. Blocking file I/O.
     */
    public void writePem(final Path keyFile, final Path certificateFile) throws IOException {
        final byte[] key = Pem.privateKey(privateKey);
        try {
            SecretFiles.writeAtomically(keyFile, key);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
        final StringBuilder chainPem = new StringBuilder();
        for (final X509Certificate c : chain) {
            chainPem.append(Pem.certificate(c));
        }
        SecretFiles.writeAtomically(certificateFile, chainPem.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    @Override
    public String toString() {
        return "IssuedIdentity[subject=" + certificate.getSubjectX500Principal().getName()
                + ", fingerprint=" + fingerprint() + ", notAfter=" + certificate.getNotAfter().toInstant()
                + ", key redacted]";
    }
}
