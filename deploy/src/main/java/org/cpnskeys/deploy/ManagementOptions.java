package org.cpnskeys.deploy;

import java.util.function.BiFunction;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServer;

import picocli.CommandLine.Option;

/** The options of the /health, /ready and /metrics endpoint, shared by {@code cpns server} and {@code cpns gateway}. */
final class ManagementOptions {
    @Option(names = "--management-bind", defaultValue = "${env:CPNS_MANAGEMENT_BIND:-127.0.0.1}",
            description = "Address of /health, /ready and /metrics (default ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--management-port", defaultValue = "${env:CPNS_MANAGEMENT_PORT}",
            description = "Port of /health, /ready and /metrics (default 9100 for the server, 9101 for the gateway; -1: off).")
    Integer port;

    /** The endpoint's port with its option, for {@link ListenPorts} (port -1 when off). */
    ListenPorts.Port listenPort(final int defaultPort) {
        return new ListenPorts.Port("--management-port", bind, port == null ? defaultPort : port);
    }

    /** Starts the endpoint (unless turned off) on the given port or the role's default, and says where. */
    void start(final int defaultPort, final BiFunction<String, Integer, Future<HttpServer>> serve) {
        final int p = port == null ? defaultPort : port;
        if (p < 0) {
            return;
        }
        final int actual = Cli.await(ListenPorts.of(java.util.List.of(listenPort(defaultPort))).naming(serve.apply(bind, p)),
                "starting the management endpoint").actualPort();
        System.out.println("health and metrics on http://" + bind + ":" + actual + "/{health,ready,metrics}");
    }
}
