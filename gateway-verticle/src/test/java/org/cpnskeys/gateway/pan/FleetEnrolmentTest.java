package org.cpnskeys.gateway.pan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A fleet is enrolled with one rewrite of the device register, whatever its size; outcomes keep the input order. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FleetEnrolmentTest {
    @TempDir
    Path dir;

    private List<FleetEnrolment.Outcome> enroll(final DeviceRegister register, final String prefix, final int n)
            throws Exception {
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(dir.resolve("ca"), "home-gw",
                Duration.ofDays(10));
        return FleetEnrolment.enroll(ca, register, IntStream.rangeClosed(1, n)
                .mapToObj(i -> new FleetEnrolment.GeneratedItem("list:" + i, prefix + i)).toList(), Duration.ofDays(1),
                false);
    }

    @Test
    void enroll_fortyDevices_registerRewrittenAsOftenAsForOne() throws Exception {
        final DeviceRegister register = DeviceRegister.open(dir.resolve("gw"));
        final long before = register.generation();
        enroll(register, "one-", 1);
        final long perBatch = register.generation() - before;

        final List<FleetEnrolment.Outcome> outcomes = enroll(register, "fleet-", 40);

        assertEquals(perBatch, register.generation() - before - perBatch, "one read-modify-write per batch, not per device");
        assertEquals(41, register.entries().size());
        for (int i = 0; i < 40; i++) {
            final FleetEnrolment.Enrolled e = assertInstanceOf(FleetEnrolment.Enrolled.class, outcomes.get(i));
            assertEquals("list:" + (i + 1), e.source());
            assertEquals("fleet-" + (i + 1), e.entity().value());
        }
    }
}
