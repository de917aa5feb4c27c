package org.cpnskeys.deploy;

import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.cpnskeys.gateway.pan.DeviceRegister;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cpns gateway devices}: lists the enrolled device certificates. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "Lists the PNE certificates this gateway's PAN CA issued (never key material).")
final class GatewayDevicesCommand implements Callable<Integer> {
    @Option(names = "--data", defaultValue = "${env:CPNS_GATEWAY_DATA:-cpns-data/gateway}", description = "Gateway state folder.")
    Path data;

    @Override
    public Integer call() throws Exception {
        final DeviceRegister register = DeviceRegister.open(data);
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
