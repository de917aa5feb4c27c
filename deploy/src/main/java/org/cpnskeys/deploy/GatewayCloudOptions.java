package org.cpnskeys.deploy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;

import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;
import org.cpnskeys.protocol.mqtt.PlaintextPolicy;

import picocli.CommandLine.Option;

/**
 * How {@code cpns gateway} reaches the cloud broker: from the one file of {@code cpns server add-gateway --out}
 * ({@code --cloud-config}: token, cloud CA, realm, broker address, client certificate), or the old way (a token
 * file, and {@code --cloud-ca} for TLS). Plain only to a loopback host or with {@code --insecure-plaintext}.
 */
public final class GatewayCloudOptions {
    @Option(names = "--cloud-config", defaultValue = "${env:CPNS_CLOUD_CONFIG}",
            description = {"The gateway file from 'cpns server add-gateway --out': token, cloud CA (TLS with host name",
                    "verification), realm, broker address, client certificate (env CPNS_CLOUD_CONFIG)."})
    Path cloudConfig;

    @Option(names = "--cloud-host", defaultValue = "${env:CPNS_CLOUD_HOST}",
            description = "Cloud broker host (default: from --cloud-config if it names one, else 127.0.0.1; env CPNS_CLOUD_HOST).")
    String cloudHost;

    @Option(names = "--cloud-port", defaultValue = "${env:CPNS_CLOUD_PORT}",
            description = "Cloud broker port (default: from --cloud-config, else 1883; env CPNS_CLOUD_PORT).")
    Integer cloudPort;

    @Option(names = "--cloud-ca", defaultValue = "${env:CPNS_CLOUD_CA}",
            description = {"Old style, with --cloud-token-file: PEM CA of the cloud broker (TLS with host name",
                    "verification). Without it (and without --cloud-config) the link is plain, which only a loopback",
                    "host or --insecure-plaintext allows."})
    Path cloudCa;

    // Not 'required' for picocli: a required option of this command would also be demanded by its admin
    // subcommands (enroll, devices, revoke, credentials), which do not talk to the cloud. Checked in resolve().
    @Option(names = "--cloud-token-file", defaultValue = "${env:CPNS_CLOUD_TOKEN_FILE}",
            description = {"Old style: a file with only this gateway's token ('add-gateway --token-file'; env",
                    "CPNS_CLOUD_TOKEN_FILE). Safe only with --cloud-ca, or to a broker on this machine."})
    Path cloudTokenFile;

    @Option(names = "--insecure-plaintext", defaultValue = "${env:CPNS_INSECURE_PLAINTEXT:-false}",
            description = {"Allow a plain cloud link to a host that is not loopback. Anyone on the path then reads the",
                    "token, digest answers and wrapped EUKeys: only on a network you fully trust. Warned at every start."})
    boolean insecurePlaintext;

    /** The gateway's ID, realm and cloud endpoint. */
    public record Resolved(GatewayId gatewayId, String realm, MqttEndpoint cloud) {
    }

    /**
     * Resolves the cloud link. Blocking (files, name resolution).
     *
     * @param id the --id value, and whether it was given explicitly (the file's ID wins over a default)
     * @param realm the --realm value, and whether it was given explicitly
     * @throws IllegalArgumentException with what to do, when the options are missing, conflict or are unsafe
     */
    public Resolved resolve(final String id, final boolean idGiven, final String realm, final boolean realmGiven) {
        if (cloudConfig != null) {
            if (cloudTokenFile != null || cloudCa != null) {
                throw new IllegalArgumentException("--cloud-config holds the token and the cloud CA: do not also give"
                        + " --cloud-token-file or --cloud-ca");
            }
            return fromFile(id, idGiven, realm, realmGiven);
        }
        if (cloudTokenFile == null) {
            throw new IllegalArgumentException("Missing the cloud credentials: give --cloud-config <file from 'cpns"
                    + " server add-gateway --out'> (or, old style, --cloud-token-file with --cloud-ca)");
        }
        final GatewayId gatewayId = GatewayId.of(id);
        Cli.requireFile(cloudCa, "--cloud-ca");
        final String token = Cli.readSecret(cloudTokenFile, "the cloud token (--cloud-token-file)");
        final String host = cloudHost != null ? cloudHost : "127.0.0.1";
        final int port = cloudPort != null ? cloudPort : 1883;
        final MqttEndpoint cloud = cloudCa != null
                ? MqttEndpoint.tls(host, port, new PemTrustOptions().addCertPath(cloudCa.toString()), Optional.empty(),
                        true, Optional.of(gatewayId.value()), Optional.of(token))
                : plain(host, port, gatewayId.value(), token);
        return new Resolved(gatewayId, realm, cloud);
    }

    private Resolved fromFile(final String id, final boolean idGiven, final String realm, final boolean realmGiven) {
        final GatewayEnrolmentFile file;
        try {
            file = GatewayEnrolmentFile.read(cloudConfig);
        } catch (IOException e) {
            throw new CliException("cannot read --cloud-config " + cloudConfig + ": " + CliErrors.describe(e),
                    "give the file 'cpns server add-gateway --out' wrote for this gateway", e);
        }
        if (idGiven && !file.gatewayId().value().equals(id)) {
            throw new IllegalArgumentException("--id " + id + " differs from the Gateway ID " + file.gatewayId()
                    + " in " + cloudConfig + ": drop --id, or use that gateway's file");
        }
        if (realmGiven && !file.realm().equals(realm)) {
            throw new IllegalArgumentException("--realm " + realm + " differs from the server's realm " + file.realm()
                    + " in " + cloudConfig + ": drop --realm (the file's is the server's)");
        }
        final String host = cloudHost != null ? cloudHost : file.cloudHost().orElse("127.0.0.1");
        final int port = cloudPort != null ? cloudPort : file.cloudPort().orElse(1883);
        final Optional<io.vertx.core.net.KeyCertOptions> clientCert = file.clientCertificatePem().map(c ->
                new PemKeyCertOptions().addCertValue(Buffer.buffer(c)).addKeyValue(Buffer.buffer(file.clientKeyPem().get())));
        final MqttEndpoint cloud = MqttEndpoint.tls(host, port, new PemTrustOptions().addCertValue(
                Buffer.buffer(file.cloudCaPem())), clientCert, true, Optional.of(file.gatewayId().value()), file.token());
        return new Resolved(file.gatewayId(), file.realm(), cloud);
    }

    private MqttEndpoint plain(final String host, final int port, final String user, final String token) {
        if (insecurePlaintext) {
            return MqttEndpoint.insecurePlain(host, port, user, token);
        }
        if (!PlaintextPolicy.isLoopback(host)) {
            throw new IllegalArgumentException("refusing a plain cloud link to " + host + ": it is not a loopback"
                    + " address, and without TLS anyone on the path could read this gateway's token, the digest answers"
                    + " and the wrapped EUKeys. Start the gateway with --cloud-config <file from 'cpns server add-gateway"
                    + " --out'> (or add --cloud-ca <cloud CA PEM>); only on a network you fully trust, "
                    + PlaintextPolicy.INSECURE_OPTION);
        }
        return MqttEndpoint.plain(host, port, user, token);
    }
}
