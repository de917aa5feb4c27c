package org.cpnskeys.deploy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

import org.cpnskeys.gateway.GatewayApplication;
import org.cpnskeys.gateway.pan.DeviceRegister;
import org.cpnskeys.gateway.pan.PanCertificateAuthority;
import org.cpnskeys.gateway.pan.PanCrlFiles;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.crypto.SecretFiles;
import org.cpnskeys.protocol.tls.IssuedIdentity;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cpns gateway pan-tls}: TLS material from the PAN CA for an external PAN broker. */
@Command(name = "pan-tls", mixinStandardHelpOptions = true,
        description = {"Writes TLS material from this gateway's PAN CA for an external PAN broker:",
                "  pan-ca.pem, pan-broker.pem (chain), pan-broker-key.pem (owner-only)  for Mosquitto",
                "  pan-broker.p12, pan-ca.p12, pan-keystore.pass (owner-only)           for HiveMQ CE",
                "  pan-crl.pem  the PAN CA's CRL (0644), rewritten by every 'cpns gateway revoke'",
                "See deploy/mosquitto/README.md and deploy/hivemq/README.md."})
final class GatewayPanTlsCommand implements Callable<Integer> {
    @Mixin
    GatewayDataOptions gateway = new GatewayDataOptions();

    @Mixin
    GatewayCaIdOptions caId = new GatewayCaIdOptions();

    @Option(names = "--host", split = ",", defaultValue = "localhost,127.0.0.1",
            description = "Names and IPs the broker's certificate carries (default ${DEFAULT-VALUE}).")
    List<String> hosts;

    @Option(names = "--out", required = true, description = "Output folder.")
    Path out;

    @Override
    public Integer call() throws Exception {
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(
                SecretFiles.ownerOnlyDirectory(gateway.data).resolve("pan-ca"), GatewayId.of(caId.id).value());
        final List<String> ips = hosts.stream().filter(h -> h.matches("[0-9.]+") || h.contains(":")).toList();
        final List<String> names = hosts.stream().filter(h -> !ips.contains(h)).toList();
        SecretFiles.ownerOnlyDirectory(out);
        final IssuedIdentity server = ca.issueServer(names, ips, GatewayApplication.SERVER_CERT_VALIDITY);
        server.writePem(out.resolve("pan-broker-key.pem"), out.resolve("pan-broker.pem"));
        SecretFiles.writePublicAtomically(out.resolve("pan-ca.pem"), ca.caCertificatePem().getBytes(StandardCharsets.US_ASCII));
        // HiveMQ reads PKCS#12 key and trust stores, their password from the environment (deploy/hivemq)
        final char[] password = LocalSystem.randomPassword();
        try {
            server.writePkcs12(out.resolve("pan-broker.p12"), password);
            ca.writeTrustStore(out.resolve("pan-ca.p12"), password);
            SecretFiles.writeAtomically(out.resolve("pan-keystore.pass"),
                    new String(password).getBytes(StandardCharsets.UTF_8));
        } finally {
            Arrays.fill(password, '\0');
        }
        final int revoked = PanCrlFiles.publish(SecretFiles.ownerOnlyDirectory(gateway.data), out.resolve(PanCrlFiles.DEFAULT_NAME),
                ca, DeviceRegister.open(gateway.data));
        System.out.println("wrote pan-ca.pem, pan-broker.pem, pan-broker-key.pem, " + PanCrlFiles.DEFAULT_NAME + " ("
                + revoked + " revoked; rewritten by every 'cpns gateway revoke'), pan-broker.p12, pan-ca.p12 and"
                + " pan-keystore.pass to " + out);
        return 0;
    }
}
