package org.cpnskeys.deploy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.broker.BrokerConfig;
import org.cpnskeys.broker.CloudAccessPolicy;
import org.cpnskeys.broker.CloudTls;
import org.cpnskeys.broker.CloudTlsOptions;
import org.cpnskeys.broker.EmbeddedBroker;
import org.cpnskeys.broker.HashedSecrets;
import org.cpnskeys.broker.TcpListenerConfig;
import org.cpnskeys.server.GatewayRegistry;
import org.cpnskeys.server.ServerApplication;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cpns broker}: a standalone cloud broker with the CPNS access rules. */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = {"Runs a standalone cloud broker (HiveMQ CE embedded) with the CPNS topic rules: servers",
                "(user cpns-server, password from --server-secret-file) and the gateways registered in --gateways.",
                "Servers then run with --broker-host/--broker-port/--broker-secret-file/--broker-ca.",
                "TLS by default (1.3, or 1.2): the certificate from --tls-cert/--tls-key or --tls-pkcs12, or issued by",
                "a cloud CA created in <data>/cloud-ca at first start (its fingerprint is printed at start; give",
                "<data>/cloud-ca/cloud-ca-cert.pem to servers as --broker-ca, and make gateway files with",
                "'cpns server add-gateway --data <data> --registry <gateways>')."})
public final class BrokerCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    LogOptions logging = new LogOptions();

    @Option(names = "--data", defaultValue = "${env:CPNS_BROKER_DATA:-cpns-data/broker}", description = "Broker state folder.")
    Path data;

    @Option(names = "--bind", defaultValue = "${env:CPNS_BROKER_BIND:-127.0.0.1}", description = "Address (default ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--port", defaultValue = "${env:CPNS_BROKER_PORT:-1883}", description = "Port, TLS unless --insecure-plaintext (default ${DEFAULT-VALUE}).")
    int port;

    @picocli.CommandLine.Mixin
    CloudTlsCliOptions tls = new CloudTlsCliOptions();

    @Option(names = "--server-secret-file", required = true, description = "File with the password of user cpns-server.")
    Path serverSecretFile;

    @Option(names = "--gateways", required = true, description = "Gateway registry file (as written by 'cpns server add-gateway').")
    Path gateways;

    @Override
    public Integer call() throws Exception {
        final CloudTlsOptions tlsOptions = tls.options();
        final ListenPorts ports = ListenPorts.of(List.of(new ListenPorts.Port("--port", bind, port))).ensureFree();
        final CloudBroker cloud = cloudBroker(data, bind, port, Cli.readSecret(serverSecretFile,
                "the server secret (--server-secret-file)"), GatewayRegistry.open(gateways), tlsOptions);
        final Vertx vertx = Cli.newVertx();
        Cli.await(ports.naming(cloud.broker().start(vertx)), "starting the broker");
        if (cloud.tls().isEmpty()) {
            System.out.println("INSECURE: cloud broker listening on " + bind + ":" + cloud.port()
                    + " WITHOUT TLS (--insecure-plaintext)");
        } else {
            System.out.println("cloud broker listening on " + bind + ":" + cloud.port()
                    + " (TLS); cloud CA fingerprint " + cloud.tls().get().cloudCa().caFingerprint() + " ("
                    + tlsOptions.caFolder().orElse(data.resolve(CloudTls.CA_FOLDER))
                    .resolve(CloudTls.CA_LAYOUT.certificateFile()) + ")");
        }
        return Cli.runUntilStopped(vertx, () -> Future.fromCompletionStage(cloud.broker().stop()));
    }

    /** A cloud broker (not started) and its TLS set-up (empty when it listens plain). */
    public record CloudBroker(EmbeddedBroker broker, Optional<CloudTls.Prepared> tls) {
        /** The listening port, once started. */
        public int port() {
            return tls.isPresent() ? broker.tlsPort() : broker.tcpPort();
        }

        /** The cloud CA's certificate (PEM) that clients trust; empty when plain. */
        public Optional<String> caPem() {
            return tls.map(t -> t.cloudCa().caCertificatePem());
        }
    }

    /**
     * A cloud broker with the CPNS rules (not started): servers log in as {@code cpns-server} with
     * {@code serverSecret}, gateways with the tokens of {@code gateways} (or a cloud CA client certificate).
     * Port 0 picks a free port. Blocking (TLS files, key generation).
     */
    public static CloudBroker cloudBroker(final Path data, final String bind, final int port, final String serverSecret,
            final GatewayRegistry gateways, final CloudTlsOptions tlsOptions) throws java.io.IOException {
        final CloudAccessPolicy policy = new CloudAccessPolicy(HashedSecrets.of(Map.of(ServerApplication.BROKER_USER,
                HashedSecrets.sha256(serverSecret.getBytes(StandardCharsets.UTF_8)))), gateways);
        if (tlsOptions.insecurePlaintext()) {
            org.cpnskeys.protocol.mqtt.PlaintextPolicy.check(bind, true, "cloud broker listener");
            return new CloudBroker(EmbeddedBroker.create(new BrokerConfig(data, Optional.of(new TcpListenerConfig(bind, port)),
                    Optional.empty(), BrokerConfig.DEFAULT_MAX_INFLIGHT_PER_CLIENT, BrokerConfig.DEFAULT_MAX_PACKET_SIZE_BYTES),
                    policy), Optional.empty());
        }
        final CloudTls.Prepared prepared = CloudTls.prepare(data, data.resolve("tls"), bind, port, tlsOptions);
        return new CloudBroker(EmbeddedBroker.create(new BrokerConfig(data, Optional.empty(),
                Optional.of(prepared.listener()), BrokerConfig.DEFAULT_MAX_INFLIGHT_PER_CLIENT,
                BrokerConfig.DEFAULT_MAX_PACKET_SIZE_BYTES), policy), Optional.of(prepared));
    }
}
