package org.cpnskeys.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.cpnskeys.gateway.pan.DeviceRegister;
import org.cpnskeys.gateway.pan.PanCertificateAuthority;
import org.cpnskeys.gateway.pan.PanCrlFiles;
import org.cpnskeys.protocol.EntityId;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cpns gateway revoke}: revokes a PNE's certificates in the device register. A running gateway watches the
 * register: its embedded PAN broker disconnects the device within a second and refuses its next CONNECT, and the
 * gateway neither asks the user about nor acts as proxy for a Key Request of it still in progress.
 */
@Command(name = "revoke", mixinStandardHelpOptions = true,
        description = {"Revokes every active PAN certificate of a PNE. A running gateway sees the change within a",
                "second: its embedded PAN broker disconnects the device and refuses its next CONNECT, and a Key",
                "Request of the device still waiting for the user or the server gets nothing. Every CRL written",
                "by 'cpns gateway pan-tls' for an external broker is rewritten (Mosquitto reads it on SIGHUP or",
                "restart; the HiveMQ extension re-reads it by itself and disconnects the device). Enroll the PNE",
                "again to readmit it."})
final class GatewayRevokeCommand implements Callable<Integer> {
    @Mixin
    GatewayDataOptions gateway = new GatewayDataOptions();

    @Option(names = "--entity", required = true, description = "The PNE's Entity ID.")
    String entity;

    @Override
    public Integer call() throws Exception {
        final EntityId e = EntityId.of(entity);
        final DeviceRegister register = DeviceRegister.open(gateway.data);
        final int n = register.revoke(e);
        if (n == 0) {
            System.err.println("no active certificate of " + e + " in the device register");
            return 1;
        }
        System.out.println("revoked " + n + " certificate" + (n == 1 ? "" : "s") + " of " + e);
        if (!PanCrlFiles.recorded(gateway.data).isEmpty()) {
            // an external PAN broker learns it from the CRL 'pan-tls' placed beside its TLS files
            final Path caDir = gateway.data.resolve("pan-ca");
            if (!Files.exists(caDir.resolve(PanCertificateAuthority.KEY_FILE))) {
                System.err.println("the PAN CA in " + caDir + " is missing: the CRLs " + PanCrlFiles.recorded(gateway.data)
                        + " were not rewritten");
                return 1;
            }
            final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(caDir, "home-gw");
            for (final Path crl : PanCrlFiles.republish(gateway.data, ca, register)) {
                System.out.println("CRL rewritten: " + crl + " (Mosquitto: send it a SIGHUP; HiveMQ's extension reads it by itself)");
            }
        }
        return 0;
    }
}
