package org.cpnskeys.deploy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.cpnskeys.broker.CloudTls;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.crypto.ConsentSignature;
import org.cpnskeys.protocol.crypto.SecretFiles;
import org.cpnskeys.protocol.tls.CertificateAuthority;
import org.cpnskeys.protocol.tls.IssuedIdentity;
import org.cpnskeys.protocol.tls.Pem;
import org.cpnskeys.server.GatewayRegistry;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cpns server add-gateway}: registers a PN GW and hands it what it needs, in one file. */
@Command(name = "add-gateway", mixinStandardHelpOptions = true,
        description = {"Registers a PN GW on the cloud broker. With --out, writes ONE owner-only file holding all the",
                "gateway needs: its token (shown nowhere else, stored hashed), the cloud CA, the server's realm, the",
                "broker address if given, and with --client-certificate a client certificate from the cloud CA.",
                "Copy it to the gateway and start it with --cloud-config <file>. Works while the server runs.",
                "Old style: without --out the token alone is printed (or written with --token-file); such a",
                "gateway then needs --cloud-ca <data>/cloud-ca/cloud-ca-cert.pem for TLS, or it can reach only a",
                "broker on its own machine (loopback)."})
final class AddGatewayCommand implements Callable<Integer> {
    @Option(names = "--data", defaultValue = "${env:CPNS_SERVER_DATA:-cpns-data/server}",
            description = "Server state folder (or a standalone broker's --data): holds cloud-ca/ and gateways.")
    Path data;

    @Option(names = "--id", required = true, description = "Gateway ID (letters, digits, . _ -).")
    String id;

    @Option(names = "--registry", description = "Gateway registry file (default <data>/gateways; a standalone broker's --gateways).")
    Path registry;

    @Option(names = "--out", description = {"Write the gateway file here (new, owner-only); if it exists and the gateway",
            "is registered, keep both and succeed (for an init container)."})
    Path out;

    @Option(names = "--realm", defaultValue = "${env:CPNS_REALM}",
            description = {"The server's digest realm, as its --realm (env CPNS_REALM). Default: the server's own, as",
                    "'cpns server' chooses it from --data (its users' realm, else <data>/realm, else a new one kept",
                    "there). With a standalone broker's --data, give the servers' realm here."})
    String realm;

    @Option(names = "--cloud-host", description = "Host name gateways use to reach the cloud broker (put in the file).")
    String cloudHost;

    @Option(names = "--cloud-port", description = "Port gateways use to reach the cloud broker (put in the file).")
    Integer cloudPort;

    @Option(names = "--cloud-ca", description = {"PEM CA to hand out when the broker runs with your own certificate",
            "(--tls-cert); default: the cloud CA in <data>/cloud-ca (created if missing)."})
    Path cloudCa;

    @Option(names = "--client-certificate", description = {"Also issue a TLS client certificate (CN = Gateway ID) from",
            "the cloud CA into the file: the gateway logs in with it and its token (mutual TLS)."})
    boolean clientCertificate;

    @Option(names = "--without-token", description = "With --client-certificate: the file carries no token (certificate only).")
    boolean withoutToken;

    @Option(names = "--consent-key", description = {"The gateway's consent-signing.pub (from its data folder, made at its",
            "first start): the server then verifies the gateway's signed consent receipts and refuses its Key Requests",
            "without one. On a gateway already registered, records only the key (its token is kept)."})
    Path consentKey;

    @Option(names = "--token-file", description = {"Old style: write only the token to this new owner-only file; if the",
            "file exists and the gateway is registered, keep both and succeed."})
    Path tokenFile;

    @Override
    public Integer call() throws Exception {
        if (withoutToken && !clientCertificate) {
            throw new IllegalArgumentException("--without-token needs --client-certificate (the gateway must prove who it is)");
        }
        if (out != null && tokenFile != null) {
            throw new IllegalArgumentException("give --out (the one gateway file) or --token-file (old style), not both");
        }
        final GatewayId gateway = GatewayId.of(id);
        final Path file = registry != null ? registry : SecretFiles.ownerOnlyDirectory(data).resolve("gateways");
        final GatewayRegistry gateways = GatewayRegistry.open(file);
        if (consentKey != null) {
            gateways.consentKeys().register(gateway, readConsentKey());
            if (out == null && tokenFile == null && gateways.gatewayIds().contains(id)) {
                System.out.println("gateway " + id + ": consent key recorded; its token is unchanged");
                return 0;
            }
        }
        final Path existing = out != null ? out : tokenFile;
        if (existing != null && Files.exists(existing) && gateways.gatewayIds().contains(id)) {
            System.out.println("gateway " + id + " is registered; kept " + existing);
            return 0;
        }
        final String token = gateways.register(gateway);
        if (out != null) {
            writeGatewayFile(gateway, token);
            System.out.println("gateway " + id + " registered; give the gateway " + out
                    + " (cpns gateway --cloud-config " + out.getFileName() + ")");
        } else if (tokenFile != null) {
            SecretFiles.writeAtomically(tokenFile, (token + "\n").getBytes(StandardCharsets.US_ASCII));
            System.out.println("gateway " + id + " registered; its token is in " + tokenFile);
        } else {
            System.out.println(token);
        }
        return 0;
    }

    private void writeGatewayFile(final GatewayId gateway, final String token) throws java.io.IOException {
        final CertificateAuthority ca = CloudTls.cloudCa(data);
        final String caPem = cloudCa != null ? Files.readString(cloudCa, StandardCharsets.US_ASCII) : ca.caCertificatePem();
        Optional<String> certificate = Optional.empty();
        Optional<String> key = Optional.empty();
        if (clientCertificate) {
            final IssuedIdentity identity = ca.issueClient(gateway.value(), CertificateAuthority.DEFAULT_LEAF_VALIDITY);
            certificate = Optional.of(identity.certificatePem() + ca.caCertificatePem());
            final byte[] keyPem = Pem.privateKey(identity.privateKey());
            key = Optional.of(new String(keyPem, StandardCharsets.US_ASCII));
            Arrays.fill(keyPem, (byte) 0);
        }
        new GatewayEnrolmentFile(gateway, withoutToken ? Optional.empty() : Optional.of(token), effectiveRealm(), caPem,
                Optional.ofNullable(cloudHost), Optional.ofNullable(cloudPort), certificate, key).write(out);
    }

    private byte[] readConsentKey() {
        try {
            return ConsentSignature.parsePublicKey(Files.readString(consentKey, StandardCharsets.US_ASCII),
                    "--consent-key " + consentKey);
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException(e instanceof IllegalArgumentException ? e.getMessage()
                    : "cannot read --consent-key from " + consentKey + ": " + e.getMessage(), e);
        }
    }

    /** The realm the server answers with: the one its users' HA1 are computed in. */
    String effectiveRealm() throws java.io.IOException {
        return org.cpnskeys.server.auth.DeploymentRealm.resolve(data, data.resolve("users.htdigest"),
                Optional.ofNullable(realm).filter(r -> !r.isBlank()));
    }
}
