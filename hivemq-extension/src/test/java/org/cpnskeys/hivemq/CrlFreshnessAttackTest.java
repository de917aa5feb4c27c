package org.cpnskeys.hivemq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.gateway.pan.DeviceRegister;
import org.cpnskeys.gateway.pan.PanCertificateAuthority;
import org.cpnskeys.gateway.pan.PanCrlFiles;
import org.cpnskeys.gateway.pan.PanCrlRenewal;
import org.cpnskeys.protocol.EntityId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack (issue [H] 4h): a CRL that never lapses. The PAN CA's CRLs were valid until the CA's own end (ten years):
 * whoever can put an old file in place of the current one (a restored backup, a broker's folder on a shared
 * volume) readmits every device revoked since, for years, and the consumer cannot tell. A CRL must lapse within
 * days, the running gateway must re-issue it before it does, and the consumer (the HiveMQ extension's check) must
 * take the fresh one and refuse every device on a lapsed one. Days pass on a clock the test holds, not by waiting.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CrlFreshnessAttackTest {
    @TempDir
    Path dir;

    @Test
    void panCaCrl_nextUpdateIsDaysAway_notTheCasEnd() throws Exception {
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(dir.resolve("pan-ca"), "home-gw");
        final X509CRL crl = ca.issueCrl(List.of());
        final Duration life = Duration.between(crl.getThisUpdate().toInstant(), crl.getNextUpdate().toInstant());
        assertTrue(life.compareTo(Duration.ofDays(7)) <= 0, "the CRL is valid for " + life.toDays() + " days");
        assertTrue(life.compareTo(Duration.ofDays(2)) >= 0, "a CRL must outlive a day without its gateway: " + life);
    }

    @Test
    void runningGateway_reissuesBeforeLapse_extensionTakesTheFreshAndRefusesTheLapsed() throws Exception {
        final Path gateway = Files.createDirectories(dir.resolve("gateway"));
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(gateway.resolve("pan-ca"), "home-gw");
        final DeviceRegister register = DeviceRegister.open(gateway);
        final X509Certificate device = ca.issueDevice(EntityId.of("bulb-1"), Duration.ofDays(30)).certificate();
        register.add(device, EntityId.of("bulb-1"), DeviceRegister.Method.GENERATED);
        final Path crlFile = Files.createDirectories(dir.resolve("broker")).resolve(PanCrlFiles.DEFAULT_NAME);
        PanCrlFiles.publish(gateway, crlFile, ca, register);
        final Path kept = dir.resolve("kept-by-attacker.pem");
        Files.copy(crlFile, kept, StandardCopyOption.REPLACE_EXISTING);
        final Instant t0 = crl(crlFile).getThisUpdate().toInstant();

        // the running gateway looks every hour; within its first day nothing is due
        assertEquals(List.of(), renewal(gateway, ca, register, t0.plus(Duration.ofHours(23))).renewIfDue());
        // a day and a half later it re-issues the CRL, with a nextUpdate days ahead of then
        final Instant later = t0.plus(Duration.ofHours(36));
        assertEquals(List.of(crlFile.toAbsolutePath().normalize()),
                renewal(gateway, ca, register, later).renewIfDue());
        final X509CRL fresh = crl(crlFile);
        assertEquals(later, fresh.getThisUpdate().toInstant());
        assertTrue(fresh.getNextUpdate().toInstant().isAfter(later.plus(Duration.ofDays(5))));

        // eight days after the first: the fresh CRL is taken, the kept one has lapsed and admits nobody
        final Clock dayEight = Clock.fixed(t0.plus(Duration.ofDays(8)), ZoneOffset.UTC);
        final CrlRevocationCheck onFresh = new CrlRevocationCheck(ca.caCertificate(), crlFile, dayEight);
        onFresh.reloadIfChanged();
        assertTrue(onFresh.test(device), "a device not revoked is accepted on the re-issued CRL");
        final CrlRevocationCheck onLapsed = new CrlRevocationCheck(ca.caCertificate(), kept, dayEight);
        onLapsed.reloadIfChanged();
        assertFalse(onLapsed.test(device), "a lapsed CRL admitted a device");
    }

    private static PanCrlRenewal renewal(final Path gateway, final PanCertificateAuthority ca,
            final DeviceRegister register, final Instant now) {
        return new PanCrlRenewal(gateway, ca, register, Clock.fixed(now, ZoneOffset.UTC));
    }

    private static X509CRL crl(final Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(in);
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(e);
        }
    }
}
