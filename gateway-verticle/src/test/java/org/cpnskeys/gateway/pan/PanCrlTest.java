package org.cpnskeys.gateway.pan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.protocol.EntityId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The PAN CA's CRL: what external brokers (Mosquitto's crlfile, the HiveMQ extension) check revocation against. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PanCrlTest {
    @TempDir
    Path dir;

    /** Verifies that the CRL parses with the JDK, is signed by the CA, and lists exactly the revoked certificates. */
    @Test
    void crl_afterRevoke_listsRevokedOnly_signedByCa() throws Exception {
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(dir.resolve("pan-ca"), "crl-gw");
        final DeviceRegister register = DeviceRegister.open(dir);
        final X509Certificate kept = enroll(ca, register, "kept-1");
        final X509Certificate gone = enroll(ca, register, "gone-1");
        assertEquals(1, register.revoke(EntityId.of("gone-1")));

        final X509CRL crl = parse(ca.issueCrlPem(register.revocations()));
        crl.verify(ca.caCertificate().getPublicKey());
        assertEquals(ca.caCertificate().getSubjectX500Principal(), crl.getIssuerX500Principal());
        assertTrue(crl.isRevoked(gone), "the revoked certificate is listed");
        assertFalse(crl.isRevoked(kept), "the active certificate is not");
        assertEquals(1, crl.getRevokedCertificates().size());
        final X509CRLEntry entry = crl.getRevokedCertificate(gone.getSerialNumber());
        assertNotNull(entry);
        assertEquals(register.entries().get(1).revokedAt().orElseThrow().getEpochSecond(),
                entry.getRevocationDate().toInstant().getEpochSecond());
        assertEquals(crl.getThisUpdate().toInstant().plus(PanCertificateAuthority.CRL_VALIDITY),
                crl.getNextUpdate().toInstant(), "valid for CRL_VALIDITY (days), re-issued before it lapses");
    }

    /** Verifies that a CRL with no revocation is valid too (a broker with crlfile needs one from the start). */
    @Test
    void crl_nothingRevoked_emptyAndSigned() throws Exception {
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(dir.resolve("pan-ca"), "crl-gw");
        final X509CRL crl = parse(ca.issueCrlPem(List.of()));
        crl.verify(ca.caCertificate().getPublicKey());
        assertTrue(crl.getRevokedCertificates() == null || crl.getRevokedCertificates().isEmpty());
    }

    /** Verifies that the CRL file is world-readable (a broker runs as another user) and rewritten on republish. */
    @Test
    void publish_recordsFile_republishRewritesIt() throws Exception {
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(dir.resolve("pan-ca"), "crl-gw");
        final DeviceRegister register = DeviceRegister.open(dir);
        final Path crlFile = Files.createDirectories(dir.resolve("broker")).resolve(PanCrlFiles.DEFAULT_NAME);
        assertEquals(0, PanCrlFiles.publish(dir, crlFile, ca, register));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(crlFile)));
        assertEquals(List.of(crlFile.toAbsolutePath()), PanCrlFiles.recorded(dir));
        final X509Certificate gone = enroll(ca, register, "gone-3");
        register.revoke(EntityId.of("gone-3"));

        assertEquals(List.of(crlFile.toAbsolutePath()), PanCrlFiles.republish(dir, ca, register));
        assertTrue(parse(Files.readString(crlFile)).isRevoked(gone));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(crlFile)));
        assertEquals(1, PanCrlFiles.recorded(dir).size(), "recorded once");
        PanCrlFiles.publish(dir, crlFile, ca, register);
        assertEquals(1, PanCrlFiles.recorded(dir).size(), "still recorded once");
        assertEquals(1, parse(Files.readString(crlFile)).getRevokedCertificates().size());
    }

    static X509Certificate enroll(final PanCertificateAuthority ca, final DeviceRegister register,
            final String entity) throws Exception {
        final X509Certificate cert = ca.issueDevice(EntityId.of(entity), Duration.ofDays(1)).certificate();
        register.add(cert, EntityId.of(entity), DeviceRegister.Method.GENERATED);
        return cert;
    }

    private static X509CRL parse(final String pem) throws Exception {
        return (X509CRL) CertificateFactory.getInstance("X.509")
                .generateCRL(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    }
}
