package org.cpnskeys.gateway.pan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.protocol.EntityId;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The PAN CA's CRL as OpenSSL reads it (the openssl program, run as a process; the CRL itself: PanCrlTest). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PanCrlOpensslIT {
    @TempDir
    Path dir;

    /** Verifies that OpenSSL, which Mosquitto uses, accepts the CRL's signature against the CA and lists the serial. */
    @Test
    void crl_opensslVerifiesAgainstCa() throws Exception {
        final File openssl = which("openssl");
        Assumptions.assumeTrue(openssl != null || "1".equals(System.getenv("CI_REQUIRE_MOSQUITTO_CLIENTS")),
                "openssl is not installed");
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(dir.resolve("pan-ca"), "crl-gw");
        final DeviceRegister register = DeviceRegister.open(dir);
        final X509Certificate gone = PanCrlTest.enroll(ca, register, "gone-2");
        register.revoke(EntityId.of("gone-2"));
        final Path crlFile = dir.resolve("out").resolve(PanCrlFiles.DEFAULT_NAME);
        Files.createDirectories(crlFile.getParent());
        assertEquals(1, PanCrlFiles.publish(dir, crlFile, ca, register));
        Files.writeString(dir.resolve("ca.pem"), ca.caCertificatePem());

        final Process p = new ProcessBuilder("openssl", "crl", "-in", crlFile.toString(), "-noout", "-verify",
                "-CAfile", dir.resolve("ca.pem").toString(), "-text").redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("verify OK"), out);
        assertTrue(out.toUpperCase().replace(":", "").contains(gone.getSerialNumber().toString(16).toUpperCase()), out);
    }

    private static File which(final String program) {
        for (final String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            final File f = new File(d, program);
            if (f.canExecute()) {
                return f;
            }
        }
        return null;
    }
}
