package org.cpnskeys.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

import org.cpnskeys.protocol.tls.CertificateAuthority;
import org.cpnskeys.protocol.tls.IssuedIdentity;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a cloud broker's TLS identity comes from: the generated cloud CA, or the operator's PEM or PKCS#12 files. */
class CloudTlsTest {
    @TempDir
    Path dir;

    @Test
    void generated_cloudCaOwnerOnly_brokerCertificateNamesLoopbackAndTheGivenNames() throws Exception {
        final CloudTls.Prepared p = CloudTls.prepare(dir, dir.resolve("tls"), "10.1.2.3", 0,
                CloudTlsOptions.generated(List.of("cloud.example.com", "192.0.2.7")));
        final Path key = dir.resolve(CloudTls.CA_FOLDER).resolve(CloudTls.CA_LAYOUT.keyFile());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        final X509Certificate leaf = p.brokerCertificate();
        leaf.verify(p.cloudCa().caCertificate().getPublicKey());
        final List<String> names = leaf.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))).toList();
        assertTrue(names.containsAll(List.of("cloud.example.com", "localhost", "192.0.2.7", "127.0.0.1", "10.1.2.3")),
                names.toString());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p.listener().keyStore())));
        assertEquals("OPTIONAL", p.listener().clientAuthenticationMode(), "client certificates offered, not required");
        final CloudTls.Prepared again = CloudTls.prepare(dir, dir.resolve("tls"), "127.0.0.1", 0,
                CloudTlsOptions.generated(List.of()));
        assertEquals(p.cloudCa().caFingerprint(), again.cloudCa().caFingerprint(), "the cloud CA is kept across starts");
    }

    @Test
    void operatorPem_chainAndKey_served() throws Exception {
        final IssuedIdentity own = CertificateAuthority.loadOrCreate(dir.resolve("own-ca"),
                new CertificateAuthority.Layout("own CA", "k.pem", "c.pem", "-"), "Own CA", java.time.Duration.ofDays(30))
                .issueServer(List.of("cloud.example.com"), List.of(), java.time.Duration.ofDays(10));
        own.writePem(dir.resolve("privkey.pem"), dir.resolve("fullchain.pem"));
        final CloudTls.Prepared p = CloudTls.prepare(dir, dir.resolve("tls"), "127.0.0.1", 0, new CloudTlsOptions(
                Optional.of(dir.resolve("fullchain.pem")), Optional.of(dir.resolve("privkey.pem")), Optional.empty(),
                Optional.empty(), List.of(), false, Optional.empty()));
        assertEquals(own.certificate(), p.brokerCertificate());
        assertEquals(own.certificate(), IssuedIdentity.readPkcs12(p.listener().keyStore(),
                p.listener().keyStorePassword().toCharArray()).certificate(), "the listener serves the operator's certificate");
    }

    @Test
    void operatorPkcs12_served() throws Exception {
        final IssuedIdentity own = CloudTls.cloudCa(dir.resolve("elsewhere"))
                .issueServer(List.of("cloud.example.com"), List.of(), java.time.Duration.ofDays(10));
        own.writePkcs12(dir.resolve("broker.p12"), "p12-pw".toCharArray());
        Files.writeString(dir.resolve("p12.pass"), "p12-pw\n");
        final CloudTls.Prepared p = CloudTls.prepare(dir, dir.resolve("tls"), "127.0.0.1", 0, new CloudTlsOptions(
                Optional.empty(), Optional.empty(), Optional.of(dir.resolve("broker.p12")),
                Optional.of(dir.resolve("p12.pass")), List.of(), false, Optional.empty()));
        assertEquals(own.certificate(), p.brokerCertificate());
    }

    @Test
    void options_halfGivenOrContradictory_refused() {
        assertThrows(IllegalArgumentException.class, () -> new CloudTlsOptions(Optional.of(dir), Optional.empty(),
                Optional.empty(), Optional.empty(), List.of(), false, Optional.empty()));
        assertThrows(IllegalArgumentException.class, () -> new CloudTlsOptions(Optional.of(dir), Optional.of(dir),
                Optional.empty(), Optional.empty(), List.of(), true, Optional.empty()));
        assertThrows(IllegalArgumentException.class, () -> CloudTls.prepare(dir, dir.resolve("tls"), "127.0.0.1", 0,
                CloudTlsOptions.insecurePlaintextListener()));
    }
}
