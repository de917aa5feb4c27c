package org.cpnskeys.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.cpnskeys.deploy.e2e.DeviceCsrs;
import org.cpnskeys.gateway.pan.DeviceRegister;
import org.cpnskeys.gateway.pan.PanCertificateAuthority;
import org.cpnskeys.protocol.tls.Pem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cpns gateway enroll --csr DIR} and {@code --entities FILE}: a fleet in one call; each device that cannot be
 * enrolled is one line naming its file, the others are enrolled and recorded, and the exit code says whether all were.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GatewayFleetEnrollTest {
    @TempDir
    Path dir;

    private OfflineAdminCommandsTest.Run cpns(final String... args) {
        return OfflineAdminCommandsTest.cpns("", args);
    }

    @Test
    void csrFolder_badDuplicateAndUnreadableFiles_eachReportedOnOneLineOthersEnrolledExit1() throws Exception {
        final Path csrs = Files.createDirectories(dir.resolve("csrs"));
        final Path out = dir.resolve("out");
        for (int i = 1; i <= 3; i++) {
            Files.write(csrs.resolve("sensor-" + i + ".csr"), DeviceCsrs.csr("CN=sensor-" + i));
        }
        Files.writeString(csrs.resolve("garbage.csr"), "not a request");
        Files.write(csrs.resolve("twin-a.csr"), DeviceCsrs.csr("CN=twin"));
        Files.write(csrs.resolve("twin-b.csr"), DeviceCsrs.csr("CN=twin"));
        Files.createDirectory(csrs.resolve("unreadable.csr"));
        Files.writeString(csrs.resolve("device-key.pem"), "not looked at: only *.csr files are requests");

        final OfflineAdminCommandsTest.Run r = cpns("gateway", "enroll", "--data", dir.resolve("gw").toString(),
                "--csr", csrs.toString(), "--out", out.toString());

        assertEquals(1, r.code(), r.out() + r.err());
        final List<String> errors = r.err().lines().toList();
        assertEquals(4, errors.size(), r.err());
        assertTrue(line(errors, "garbage.csr").contains("certificate signing request"), r.err());
        assertTrue(line(errors, "twin-a.csr").contains("twin appears 2 times"), r.err());
        assertTrue(line(errors, "twin-b.csr").contains("twin appears 2 times"), r.err());
        assertTrue(line(errors, "unreadable.csr").contains("cannot read the file"), r.err());
        assertTrue(r.out().contains("enrolled 3 of 7 device(s) (4 refused, 0 skipped)"), r.out());

        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(dir.resolve("gw/pan-ca"), "home-gw");
        for (int i = 1; i <= 3; i++) {
            final List<X509Certificate> chain = Pem.parseCertificates(
                    Files.readAllBytes(out.resolve("sensor-" + i + "-cert.pem")), "issued");
            assertEquals("CN=sensor-" + i, chain.get(0).getSubjectX500Principal().getName());
            chain.get(0).verify(ca.caCertificate().getPublicKey());
        }
        assertFalse(Files.exists(out.resolve("twin-cert.pem")), "no certificate for a duplicate Entity ID");
        assertEquals(Set.of("sensor-1", "sensor-2", "sensor-3"), enrolled());
    }

    @Test
    void entityList_commentsSkippedInvalidAndReservedRefused_bundlesWritten_rerunWithSkipEnrolledExits0()
            throws Exception {
        final Path list = Files.writeString(dir.resolve("fleet.txt"), String.join("\n",
                "# the kitchen", "lamp-1", "lamp-2   # by the window", "", "bad/entity", "cpns-gateway", "lamp-3", ""));
        final Path out = dir.resolve("out");
        final OfflineAdminCommandsTest.Run first = cpns("gateway", "enroll", "--data", dir.resolve("gw").toString(),
                "--entities", list.toString(), "--out", out.toString());
        assertEquals(1, first.code(), first.out() + first.err());
        assertEquals(2, first.err().lines().count(), first.err());
        assertTrue(line(first.err().lines().toList(), "fleet.txt:5").contains("not a valid Entity ID"), first.err());
        assertTrue(line(first.err().lines().toList(), "fleet.txt:6").contains("reserved"), first.err());
        assertEquals(Set.of("lamp-1", "lamp-2", "lamp-3"), enrolled());
        for (final String e : List.of("lamp-1", "lamp-2", "lamp-3")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                    out.resolve(e + "-key.pem"))));
            assertTrue(Files.exists(out.resolve(e + ".p12")) && Files.exists(out.resolve(e + ".p12.pass")), e);
        }

        final Path again = Files.writeString(dir.resolve("again.txt"), "lamp-1\nlamp-4\n");
        final OfflineAdminCommandsTest.Run refused = cpns("gateway", "enroll", "--data", dir.resolve("gw").toString(),
                "--entities", again.toString(), "--out", out.toString());
        assertEquals(1, refused.code());
        assertTrue(line(refused.err().lines().toList(), "again.txt:1").contains("already enrolled"), refused.err());
        final OfflineAdminCommandsTest.Run rerun = cpns("gateway", "enroll", "--data", dir.resolve("gw").toString(),
                "--entities", again.toString(), "--out", out.toString(), "--skip-enrolled");
        assertEquals(0, rerun.code(), rerun.out() + rerun.err());
        assertTrue(rerun.out().contains("skipped lamp-1"), rerun.out());
        assertEquals(Set.of("lamp-1", "lamp-2", "lamp-3", "lamp-4"), enrolled());
        assertEquals(4, DeviceRegister.open(dir.resolve("gw")).entries().size(), "lamp-1 holds one certificate");
    }

    private Set<String> enrolled() throws Exception {
        return DeviceRegister.open(dir.resolve("gw")).entries().stream().map(e -> e.entity().value())
                .collect(Collectors.toSet());
    }

    private static String line(final List<String> lines, final String source) {
        final List<String> found = lines.stream().filter(l -> l.contains(source)).toList();
        assertEquals(1, found.size(), source + " in " + lines);
        assertTrue(found.get(0).startsWith("cannot enroll "), found.get(0));
        return found.get(0);
    }
}
