package org.cpnskeys.gateway.pan;

import org.cpnskeys.protocol.tls.IssuedIdentity;
import org.cpnskeys.protocol.tls.Pem;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.cpnskeys.protocol.EntityId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PanCertificateAuthorityTest {
    private static final Duration DAY = Duration.ofDays(1);
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final char[] PASSWORD = "store-password".toCharArray();

    @TempDir
    Path dir;

    /** Verifies that the CA is a self-signed EC P-256 CA named after the gateway, pathlen 0, keyCertSign. */
    @Test
    void loadOrCreate_firstStart_createsSelfSignedP256Ca() throws Exception {
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(dir.resolve("ca"), "home-gw", DAY);

        final X509Certificate cert = ca.caCertificate();
        assertEquals("home-gw PAN CA", commonName(cert));
        assertEquals(cert.getSubjectX500Principal(), cert.getIssuerX500Principal());
        cert.verify(cert.getPublicKey());
        assertEquals(0, cert.getBasicConstraints());
        assertTrue(cert.getKeyUsage()[5], "keyCertSign");
        assertEquals(256, ((ECPublicKey) cert.getPublicKey()).getParams().getCurve().getField().getFieldSize());
        assertTrue(cert.getCriticalExtensionOIDs().contains("2.5.29.19"), "basicConstraints critical");
        assertTrue(ca.caCertificatePem().startsWith("-----BEGIN CERTIFICATE-----\n"));
    }

    /** Verifies that a device certificate validates (PKIX) against the CA, has CN = entity id and clientAuth. */
    @Test
    void issueDevice_validCa_chainsToCaWithEntityCnAndClientAuth() throws Exception {
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(dir.resolve("ca"), "home-gw", DAY);

        final IssuedIdentity device = ca.issueDevice(EntityId.of("bulb-1"), DAY);

        pkixValidate(device.certificate(), ca.caCertificate());
        assertEquals("bulb-1", commonName(device.certificate()));
        assertEquals(List.of(CLIENT_AUTH), device.certificate().getExtendedKeyUsage());
        assertEquals(-1, device.certificate().getBasicConstraints());
        assertEquals(List.of(device.certificate(), ca.caCertificate()), device.chain());
        assertEquals(ca.caCertificate().getSubjectX500Principal(), device.certificate().getIssuerX500Principal());
    }

    /** Verifies that the server certificate carries the DNS and IP subject alternative names and serverAuth. */
    @Test
    void issueServer_namesAndAddresses_sansAndServerAuth() throws Exception {
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(dir.resolve("ca"), "home-gw", DAY);

        final IssuedIdentity server = ca.issueServer(List.of("localhost", "gateway.local"), List.of("127.0.0.1", "::1"), DAY);

        pkixValidate(server.certificate(), ca.caCertificate());
        assertEquals("localhost", commonName(server.certificate()));
        assertEquals(List.of(SERVER_AUTH), server.certificate().getExtendedKeyUsage());
        final Collection<List<?>> sans = server.certificate().getSubjectAlternativeNames();
        assertTrue(sans.contains(List.of(2, "localhost")));
        assertTrue(sans.contains(List.of(2, "gateway.local")));
        assertTrue(sans.contains(List.of(7, "127.0.0.1")));
        assertEquals(4, sans.size());
    }

    /** Verifies that bad names are refused before any key is generated. */
    @Test
    void issueServer_badNames_refused() throws Exception {
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(dir.resolve("ca"), "home-gw", DAY);

        assertThrows(IllegalArgumentException.class, () -> ca.issueServer(List.of(), List.of(), DAY));
        assertThrows(IllegalArgumentException.class, () -> ca.issueServer(List.of("bad name"), List.of(), DAY));
        assertThrows(IllegalArgumentException.class, () -> ca.issueServer(List.of(), List.of("localhost"), DAY));
        assertThrows(IllegalArgumentException.class, () -> ca.issueServer(List.of("localhost"), List.of(), Duration.ZERO));
    }

    /** Verifies that a certificate never outlives the CA. */
    @Test
    void issueDevice_validityBeyondCa_cutToCaEnd() throws Exception {
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(dir.resolve("ca"), "home-gw", DAY);

        final IssuedIdentity device = ca.issueDevice(EntityId.of("sensor-7"), Duration.ofDays(3650));

        assertFalse(device.certificate().getNotAfter().after(ca.caCertificate().getNotAfter()));
    }

    /** Verifies that a second start loads the same CA, and certificates issued before still validate. */
    @Test
    void loadOrCreate_twice_sameCa() throws Exception {
        final PanCertificateAuthority first = PanCertificateAuthority.loadOrCreate(dir.resolve("ca"), "home-gw", DAY);
        final IssuedIdentity device = first.issueDevice(EntityId.of("bulb-1"), DAY);

        final PanCertificateAuthority second = PanCertificateAuthority.loadOrCreate(dir.resolve("ca"), "home-gw", DAY);

        assertEquals(first.caCertificate(), second.caCertificate());
        assertEquals(first.caFingerprint(), second.caFingerprint());
        pkixValidate(device.certificate(), second.caCertificate());
        pkixValidate(second.issueDevice(EntityId.of("bulb-2"), DAY).certificate(), first.caCertificate());
    }

    /** Verifies that the key, the certificate, the folder and the written key and trust stores are owner-only. */
    @Test
    void loadOrCreate_firstStart_filesOwnerOnly() throws Exception {
        final Path folder = dir.resolve("ca");
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(folder, "home-gw", DAY);
        final Path p12 = dir.resolve("tls/server.p12");
        final Path trust = dir.resolve("tls/trust.p12");
        ca.issueServer(List.of("localhost"), List.of(), DAY).writePkcs12(p12, PASSWORD);
        ca.writeTrustStore(trust, PASSWORD);

        assertEquals("rwx------", perms(folder));
        assertEquals("rw-------", perms(folder.resolve(PanCertificateAuthority.KEY_FILE)));
        assertEquals("rw-------", perms(folder.resolve(PanCertificateAuthority.CERTIFICATE_FILE)));
        assertEquals("rw-------", perms(p12));
        assertEquals("rw-------", perms(trust));
        final String key = Files.readString(folder.resolve(PanCertificateAuthority.KEY_FILE));
        assertTrue(key.startsWith("-----BEGIN PRIVATE KEY-----\n"));
    }

    /** Verifies that a key without its certificate (interrupted first start) is reported, not overwritten. */
    @Test
    void loadOrCreate_keyWithoutCertificate_failsNamingTheFiles() throws Exception {
        final Path folder = dir.resolve("ca");
        PanCertificateAuthority.loadOrCreate(folder, "home-gw", DAY);
        final byte[] key = Files.readAllBytes(folder.resolve(PanCertificateAuthority.KEY_FILE));
        Files.delete(folder.resolve(PanCertificateAuthority.CERTIFICATE_FILE));

        final IOException e = assertThrows(IOException.class,
                () -> PanCertificateAuthority.loadOrCreate(folder, "home-gw", DAY));

        assertTrue(e.getMessage().contains("incomplete"), e.getMessage());
        assertTrue(e.getMessage().contains(PanCertificateAuthority.CERTIFICATE_FILE), e.getMessage());
        assertArrayEquals(key, Files.readAllBytes(folder.resolve(PanCertificateAuthority.KEY_FILE)));
    }

    /** Verifies that a certificate without its key is reported. */
    @Test
    void loadOrCreate_certificateWithoutKey_fails() throws Exception {
        final Path folder = dir.resolve("ca");
        PanCertificateAuthority.loadOrCreate(folder, "home-gw", DAY);
        Files.delete(folder.resolve(PanCertificateAuthority.KEY_FILE));

        final IOException e = assertThrows(IOException.class,
                () -> PanCertificateAuthority.loadOrCreate(folder, "home-gw", DAY));

        assertTrue(e.getMessage().contains(PanCertificateAuthority.KEY_FILE + " is missing"), e.getMessage());
    }

    /** Verifies that a truncated (half-written) key file gives a clear error that quotes no key material. */
    @Test
    void loadOrCreate_truncatedKey_failsWithoutQuotingIt() throws Exception {
        final Path folder = dir.resolve("ca");
        PanCertificateAuthority.loadOrCreate(folder, "home-gw", DAY);
        final Path keyFile = folder.resolve(PanCertificateAuthority.KEY_FILE);
        final String pem = Files.readString(keyFile);
        final String half = pem.substring(0, pem.length() / 2);
        Files.writeString(keyFile, half);

        final IOException e = assertThrows(IOException.class,
                () -> PanCertificateAuthority.loadOrCreate(folder, "home-gw", DAY));

        assertTrue(e.getMessage().contains(PanCertificateAuthority.KEY_FILE), e.getMessage());
        final String body = half.substring("-----BEGIN PRIVATE KEY-----\n".length()).strip();
        assertFalse(messages(e).contains(body.substring(0, Math.min(16, body.length()))));
    }

    /** Verifies that garbage in the certificate file gives a clear error. */
    @Test
    void loadOrCreate_corruptCertificate_fails() throws Exception {
        final Path folder = dir.resolve("ca");
        PanCertificateAuthority.loadOrCreate(folder, "home-gw", DAY);
        Files.writeString(folder.resolve(PanCertificateAuthority.CERTIFICATE_FILE), "not a certificate\n");

        final IOException e = assertThrows(IOException.class,
                () -> PanCertificateAuthority.loadOrCreate(folder, "home-gw", DAY));

        assertTrue(e.getMessage().contains(PanCertificateAuthority.CERTIFICATE_FILE), e.getMessage());
    }

    /** Verifies that the key of one CA beside the certificate of another is detected. */
    @Test
    void loadOrCreate_keyOfAnotherCa_failsAsMismatch() throws Exception {
        final Path folder = dir.resolve("ca");
        PanCertificateAuthority.loadOrCreate(folder, "home-gw", DAY);
        PanCertificateAuthority.loadOrCreate(dir.resolve("other"), "other-gw", DAY);
        Files.copy(dir.resolve("other").resolve(PanCertificateAuthority.KEY_FILE),
                folder.resolve(PanCertificateAuthority.KEY_FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        final IOException e = assertThrows(IOException.class,
                () -> PanCertificateAuthority.loadOrCreate(folder, "home-gw", DAY));

        assertTrue(e.getMessage().contains("does not match"), e.getMessage());
    }

    /** Verifies that unusable gateway names and validities are refused. */
    @Test
    void loadOrCreate_badArguments_refused() {
        assertThrows(IllegalArgumentException.class, () -> PanCertificateAuthority.loadOrCreate(dir, " ", DAY));
        assertThrows(IllegalArgumentException.class, () -> PanCertificateAuthority.loadOrCreate(dir, "x".repeat(58), DAY));
        assertThrows(IllegalArgumentException.class, () -> PanCertificateAuthority.loadOrCreate(dir, "gw\n", DAY));
        assertThrows(IllegalArgumentException.class, () -> PanCertificateAuthority.loadOrCreate(dir, "gw", Duration.ZERO));
    }

    /** Verifies the short fingerprint's form, and that it differs between certificates. */
    @Test
    void fingerprint_certificate_fourGroupsOfUpperHex() throws Exception {
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(dir.resolve("ca"), "home-gw", DAY);
        final IssuedIdentity device = ca.issueDevice(EntityId.of("bulb-1"), DAY);

        assertTrue(ca.caFingerprint().matches("[0-9A-F]{4}(-[0-9A-F]{4}){3}"), ca.caFingerprint());
        assertEquals(PanCertificateAuthority.fingerprint(device.certificate()), device.fingerprint());
        assertNotEquals(ca.caFingerprint(), device.fingerprint());
    }

    /** Verifies that the PKCS#12 round trip keeps key and chain, and that JDK "JKS" stores read it too. */
    @Test
    void writePkcs12_readBack_sameIdentityAndReadableAsJks() throws Exception {
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(dir.resolve("ca"), "home-gw", DAY);
        final IssuedIdentity device = ca.issueDevice(EntityId.of("bulb-1"), DAY);
        final Path file = dir.resolve("bulb-1.p12");
        device.writePkcs12(file, PASSWORD);

        final IssuedIdentity read = IssuedIdentity.readPkcs12(file, PASSWORD);
        final KeyStore asJks = KeyStore.getInstance("JKS");
        try (InputStream in = Files.newInputStream(file)) {
            asJks.load(in, PASSWORD);
        }

        assertEquals(device.chain(), read.chain());
        assertArrayEquals(device.privateKey().getEncoded(), read.privateKey().getEncoded());
        assertTrue(asJks.isKeyEntry(IssuedIdentity.ALIAS));
        assertThrows(IOException.class, () -> IssuedIdentity.readPkcs12(file, "wrong".toCharArray()));
    }

    /** Verifies that toString shows no key material. */
    @Test
    void toString_identity_noKeyMaterial() throws Exception {
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(dir.resolve("ca"), "home-gw", DAY);
        final IssuedIdentity device = ca.issueDevice(EntityId.of("bulb-1"), DAY);

        final String text = device.toString();
        final String keyB64 = Base64.getEncoder().encodeToString(device.privateKey().getEncoded());

        assertTrue(text.contains("redacted"), text);
        assertFalse(text.contains(keyB64.substring(40, 60)));
    }

    /** Verifies that mutual TLS between the server identity and a device identity of the same CA succeeds. */
    @Test
    void mutualTls_deviceOfSameCa_handshakeSucceeds() throws Exception {
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(dir.resolve("ca"), "home-gw", DAY);
        final IssuedIdentity device = ca.issueDevice(EntityId.of("bulb-1"), DAY);

        final String peer = handshake(ca, device);

        assertEquals("bulb-1", new LdapName(peer).getRdns().stream()
                .filter(r -> r.getType().equalsIgnoreCase("CN")).map(r -> r.getValue().toString()).findFirst().orElseThrow());
    }

    /** Verifies that the broker side refuses a device identity issued by another CA. */
    @Test
    void mutualTls_deviceOfAnotherCa_refused() throws Exception {
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(dir.resolve("ca"), "home-gw", DAY);
        final PanCertificateAuthority rogue = PanCertificateAuthority.loadOrCreate(dir.resolve("rogue"), "home-gw", DAY);
        final IssuedIdentity impostor = rogue.issueDevice(EntityId.of("bulb-1"), DAY);

        final ExecutionException e = assertThrows(ExecutionException.class, () -> handshake(ca, impostor));

        assertTrue(e.getCause() instanceof SSLHandshakeException, String.valueOf(e.getCause()));
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    /**
     * Runs a TLS server (the CA's server identity, client certificates required, trusting the CA) and a client with
     * {@code device} that checks the server's name; returns the peer name the server saw. A server-side failure is
     * thrown as the ExecutionException of the server task.
     */
    private String handshake(final PanCertificateAuthority ca, final IssuedIdentity device) throws Exception {
        final Path tls = dir.resolve("tls-" + System.nanoTime());
        ca.issueServer(List.of("localhost"), List.of("127.0.0.1"), DAY).writePkcs12(tls.resolve("server.p12"), PASSWORD);
        ca.writeTrustStore(tls.resolve("trust.p12"), PASSWORD);
        device.writePkcs12(tls.resolve("device.p12"), PASSWORD);
        final SSLContext serverContext = sslContext(tls.resolve("server.p12"), tls.resolve("trust.p12"));
        final SSLContext clientContext = sslContext(tls.resolve("device.p12"), tls.resolve("trust.p12"));

        try (SSLServerSocket server = (SSLServerSocket) serverContext.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setNeedClientAuth(true);
            final CompletableFuture<String> serverSide = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket s = (SSLSocket) server.accept()) {
                    s.startHandshake();
                    final String peer = s.getSession().getPeerPrincipal().getName();
                    s.getOutputStream().write(42);
                    s.getOutputStream().flush();
                    s.getInputStream().read();
                    return peer;
                } catch (IOException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            int received;
            try (SSLSocket client = (SSLSocket) clientContext.getSocketFactory()
                    .createSocket("127.0.0.1", server.getLocalPort())) {
                final SSLParameters params = client.getSSLParameters();
                params.setEndpointIdentificationAlgorithm("HTTPS");
                client.setSSLParameters(params);
                try {
                    client.startHandshake();
                    received = client.getInputStream().read();
                    client.getOutputStream().write(1);
                    client.getOutputStream().flush();
                } catch (IOException refused) {
                    received = -2;
                }
            }
            final String peer = serverSide.get(30, TimeUnit.SECONDS);
            assertEquals(42, received);
            return peer;
        }
    }

    private static SSLContext sslContext(final Path keyStore, final Path trustStore) throws Exception {
        final KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            keys.load(in, PASSWORD);
        }
        final KeyStore trust = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(trustStore)) {
            trust.load(in, PASSWORD);
        }
        final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, PASSWORD);
        final TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(trust);
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    private static void pkixValidate(final X509Certificate leaf, final X509Certificate anchor) throws Exception {
        final CertificateFactory factory = CertificateFactory.getInstance("X.509");
        final CertPath path = factory.generateCertPath(List.of(leaf));
        final PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(anchor, null)));
        params.setRevocationEnabled(false);
        try {
            CertPathValidator.getInstance("PKIX").validate(path, params);
        } catch (CertPathValidatorException e) {
            throw new AssertionError("certificate does not chain to the CA: " + e.getMessage(), e);
        }
        // The PEM form parses back to the same certificate.
        assertEquals(leaf, factory.generateCertificate(new ByteArrayInputStream(
                Pem.certificate(leaf).getBytes(StandardCharsets.US_ASCII))));
    }

    private static String commonName(final X509Certificate cert) throws Exception {
        for (final Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
            if (rdn.getType().equalsIgnoreCase("CN")) {
                return rdn.getValue().toString();
            }
        }
        throw new AssertionError("no CN");
    }

    private static String perms(final Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    private static String messages(final Throwable t) {
        final StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            b.append(c.getMessage()).append('\n');
        }
        return b.toString();
    }
}
