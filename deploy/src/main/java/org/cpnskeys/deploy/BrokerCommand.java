package org.cpnskeys.deploy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.broker.BrokerConfig;
import org.cpnskeys.broker.CloudAccessPolicy;
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
                "Servers then run with --broker-host/--broker-port/--broker-secret-file."})
public final class BrokerCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    LogOptions logging = new LogOptions();

    @Option(names = "--data", defaultValue = "${env:CPNS_BROKER_DATA:-cpns-data/broker}", description = "Broker state folder.")
    Path data;

    @Option(names = "--bind", defaultValue = "${env:CPNS_BROKER_BIND:-127.0.0.1}", description = "Address (default ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--port", defaultValue = "${env:CPNS_BROKER_PORT:-1883}", description = "Port (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--server-secret-file", required = true, description = "File with the password of user cpns-server.")
    Path serverSecretFile;

    @Option(names = "--gateways", required = true, description = "Gateway registry file (as written by 'cpns server add-gateway').")
    Path gateways;

    @Override
    public Integer call() throws Exception {
        final EmbeddedBroker broker = cloudBroker(data, bind, port, Cli.readSecret(serverSecretFile, "server secret"),
                GatewayRegistry.open(gateways));
        final Vertx vertx = Cli.newVertx();
        Cli.await(Future.fromCompletionStage(broker.start()), "starting the broker");
        System.out.println("cloud broker listening on " + bind + ":" + broker.tcpPort());
        return Cli.runUntilStopped(vertx, () -> Future.fromCompletionStage(broker.stop()));
    }

    /**
     * A cloud broker with the CPNS rules (not started): servers log in as {@code cpns-server} with
     * {@code serverSecret}, gateways with the tokens of {@code gateways}. Port 0 picks a free port.
     */
    public static EmbeddedBroker cloudBroker(final Path data, final String bind, final int port, final String serverSecret,
            final GatewayRegistry gateways) {
        final CloudAccessPolicy policy = new CloudAccessPolicy(HashedSecrets.of(Map.of(ServerApplication.BROKER_USER,
                HashedSecrets.sha256(serverSecret.getBytes(StandardCharsets.UTF_8)))), gateways);
        return EmbeddedBroker.create(new BrokerConfig(data, Optional.of(new TcpListenerConfig(bind, port)),
                Optional.empty(), BrokerConfig.DEFAULT_MAX_INFLIGHT_PER_CLIENT, BrokerConfig.DEFAULT_MAX_PACKET_SIZE_BYTES),
                policy);
    }
}
