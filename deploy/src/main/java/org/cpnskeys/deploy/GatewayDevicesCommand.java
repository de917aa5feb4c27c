package org.cpnskeys.deploy;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.cpnskeys.gateway.pan.DeviceRegister;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code cpns gateway devices}: lists the enrolled device certificates. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "Lists the PNE certificates this gateway's PAN CA issued (never key material).")
final class GatewayDevicesCommand implements Callable<Integer> {
    @Mixin
    GatewayDataOptions gateway = new GatewayDataOptions();

    @Override
    public Integer call() throws Exception {
        final DeviceRegister register = DeviceRegister.open(gateway.data);
        System.out.printf("%-32s %-19s %-9s %-20s %-20s %s%n", "ENTITY", "CERTIFICATE", "METHOD", "ENROLLED",
                "EXPIRES", "STATE");
        for (final DeviceRegister.Entry en : register.entries()) {
            System.out.printf("%-32s %-19s %-9s %-20s %-20s %s%n", en.entity(), en.fingerprint(),
                    en.method().name().toLowerCase(Locale.ROOT), seconds(en.enrolledAt()),
                    seconds(en.notAfter()), en.revokedAt().map(r -> "revoked " + seconds(r)).orElse("active"));
        }
        return 0;
    }

    private static String seconds(final Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
