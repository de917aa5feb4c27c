package org.cpnskeys.gateway.pan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.cpnskeys.protocol.EntityId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Enrolment from a device's CSR, and the register of enrolled and revoked device certificates. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeviceEnrolmentTest {
    @TempDir
    Path dir;

    /** Verifies that a CSR's key and CN make the certificate, with nothing else from the request. */
    @Test
    void issueDeviceFromCsr_validRequest_certifiesTheDevicesKeyWithCnOnly() throws Exception {
        final PanCertificateAuthority ca = ca();
        final KeyPair device = ec();
        final PanCertificateAuthority.DeviceCertificate issued = ca.issueDeviceFromCsr(
                csr(device, "CN=bulb-7,O=Evil Corp", device), Duration.ofDays(2));
        final X509Certificate cert = issued.certificate();
        assertEquals(EntityId.of("bulb-7"), issued.entity());
        assertEquals(device.getPublic(), cert.getPublicKey(), "the device's own key; it never left the device");
        assertEquals("CN=bulb-7", cert.getSubjectX500Principal().getName());
        cert.verify(ca.caCertificate().getPublicKey());
        assertTrue(cert.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.2"), "clientAuth");
        assertTrue(cert.getNotAfter().toInstant().isBefore(java.time.Instant.now().plus(Duration.ofDays(2).plusMinutes(1))));
    }

    /** Verifies that a request signed by another key than the one it names is refused (no proof of possession). */
    @Test
    void issueDeviceFromCsr_signatureByOtherKey_refused() throws Exception {
        final KeyPair device = ec();
        final IOException e = assertThrows(IOException.class,
                () -> ca().issueDeviceFromCsr(csr(device, "CN=bulb-7", ec()), Duration.ofDays(1)));
        assertTrue(e.getMessage().contains("signature"), e.getMessage());
    }

    /** Verifies that a CN that is not an Entity ID, or a subject without one CN, is refused. */
    @Test
    void issueDeviceFromCsr_badSubject_refused() throws Exception {
        final PanCertificateAuthority ca = ca();
        final KeyPair device = ec();
        assertThrows(IOException.class, () -> ca.issueDeviceFromCsr(csr(device, "CN=bad/entity", device), Duration.ofDays(1)));
        assertThrows(IOException.class, () -> ca.issueDeviceFromCsr(csr(device, "O=no cn", device), Duration.ofDays(1)));
        assertThrows(IOException.class, () -> ca.issueDeviceFromCsr(csr(device, "CN=a,CN=b", device), Duration.ofDays(1)));
        assertThrows(IOException.class, () -> ca.issueDeviceFromCsr("not pem".getBytes(StandardCharsets.US_ASCII),
                Duration.ofDays(1)));
    }

    /** Verifies that the register is owner-only, shared between instances, and that revoking marks the certificates. */
    @Test
    void register_addRevokeReload_seenByAnotherInstance() throws Exception {
        final PanCertificateAuthority ca = ca();
        final DeviceRegister gateway = DeviceRegister.open(dir.resolve("gw"));
        final DeviceRegister admin = DeviceRegister.open(dir.resolve("gw"));
        final X509Certificate first = ca.issueDevice(EntityId.of("lamp"), Duration.ofDays(1)).certificate();
        final X509Certificate other = ca.issueDevice(EntityId.of("plug"), Duration.ofDays(1)).certificate();
        admin.add(first, EntityId.of("lamp"), DeviceRegister.Method.GENERATED);
        admin.add(other, EntityId.of("plug"), DeviceRegister.Method.CSR);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(admin.file())));

        assertEquals(1, admin.revoke(EntityId.of("lamp")));
        assertEquals(0, admin.revoke(EntityId.of("lamp")), "nothing active left");
        assertFalse(gateway.isRevoked(first), "not re-read yet");
        assertFalse(gateway.revokedOnly(EntityId.of("lamp")), "not re-read yet");
        gateway.reloadIfChanged();
        assertTrue(gateway.isRevoked(first));
        assertTrue(gateway.isRevoked(DeviceRegister.sha256(first)), "by the certificate's SHA-256 as well");
        assertFalse(gateway.isRevoked(other));
        assertFalse(gateway.isRevoked(DeviceRegister.sha256(other)));
        assertTrue(gateway.revokedOnly(EntityId.of("lamp")), "its only certificate is revoked");
        assertFalse(gateway.revokedOnly(EntityId.of("plug")));
        assertFalse(gateway.revokedOnly(EntityId.of("unknown")), "an entity the register does not know");
        assertEquals(2, gateway.entries().size());

        final X509Certificate again = ca.issueDevice(EntityId.of("lamp"), Duration.ofDays(1)).certificate();
        admin.add(again, EntityId.of("lamp"), DeviceRegister.Method.GENERATED);
        gateway.reloadIfChanged();
        assertFalse(gateway.isRevoked(again), "re-enrolling readmits the device with a new certificate");
        assertFalse(gateway.revokedOnly(EntityId.of("lamp")), "one of its certificates is active again");
    }

    private PanCertificateAuthority ca() throws IOException {
        return PanCertificateAuthority.loadOrCreate(dir.resolve("ca"), "home-gw", Duration.ofDays(10));
    }

    private static KeyPair ec() throws Exception {
        final KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static byte[] csr(final KeyPair subjectKey, final String subject, final KeyPair signer) throws Exception {
        final PKCS10CertificationRequest req = new JcaPKCS10CertificationRequestBuilder(new X500Name(subject),
                subjectKey.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate()));
        final StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(req);
        }
        return out.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
