package org.cpnskeys.deploy;

import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.backends.BackendRegistries;

import org.cpnskeys.gateway.GatewayApplication;
import org.cpnskeys.gateway.GatewayHealth;
import org.cpnskeys.gateway.GatewayMetrics;
import org.cpnskeys.server.ServerApplication;
import org.cpnskeys.server.ServerMetrics;

/**
 * Metrics (Prometheus, through vertx-micrometer-metrics) and health endpoints for the server and gateway
 * processes: {@code /health} (alive), {@code /ready} (connected to its brokers) and {@code /metrics}. The only
 * place that knows Micrometer; the roles report through their own small interfaces.
 */
public final class Observability {
    private Observability() {
    }

    /** A Vert.x instance whose own metrics (event loops, pools, net) go to a Prometheus registry. */
    public static Vertx vertx() {
        return withMetrics(Vertx.builder().with(options())).build();
    }

    /** Options whose metrics go to the Prometheus registry (for a clustered Vert.x, with {@link #withMetrics}). */
    public static VertxOptions options() {
        return Cli.vertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
                .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)).setEnabled(true));
    }

    /** The builder with the Micrometer metrics factory. */
    public static io.vertx.core.VertxBuilder withMetrics(final io.vertx.core.VertxBuilder builder) {
        return builder.withMetrics(new MicrometerMetricsFactory());
    }

    static MeterRegistry registry() {
        return BackendRegistries.getDefaultNow();
    }

    /** Key Requests by outcome and status, and their latency, on the server. */
    public static ServerMetrics serverMetrics() {
        final MeterRegistry registry = registry();
        // registered now, so it is exported (as 0) before the first one: an alert can watch it from the start
        final Counter unopenable = Counter.builder("cpns_server_stored_keys_unopenable")
                .description("Stored EUKeys that did not open (row or sealed bytes changed in the database?); never"
                        + " delivered").register(registry);
        final Counter lockouts = Counter.builder("cpns_server_lockouts")
                .description("Key Requests refused (429) because their user and gateway, or their gateway, are locked"
                        + " out after failed authentications").register(registry);
        final Counter internalErrors = Counter.builder("cpns_server_internal_errors")
                .description("Key Requests that failed for no reason of the request (the store failed, a bug): refused"
                        + " with 500").register(registry);
        return new ServerMetrics() {
            @Override
            public void storedKeyUnopenable() {
                unopenable.increment();
            }

            @Override
            public void lockedOut() {
                lockouts.increment();
            }

            @Override
            public void internalError() {
                internalErrors.increment();
            }

            @Override
            public void keyRequest(final String outcome, final int status, final long nanos) {
                Counter.builder("cpns_server_key_requests").description("Key Requests answered, by outcome and status")
                        .tag("outcome", outcome).tag("status", Integer.toString(status)).register(registry).increment();
                Timer.builder("cpns_server_key_request_latency").description("Time from Key Request to answer")
                        .publishPercentileHistogram().tag("outcome", outcome).register(registry)
                        .record(nanos, TimeUnit.NANOSECONDS);
            }
        };
    }

    /** PNE Key Requests by outcome and status on the gateway. */
    public static GatewayMetrics gatewayMetrics() {
        final MeterRegistry registry = registry();
        return new GatewayMetrics() {
            @Override
            public void keyRequest(final String outcome, final int status) {
                Counter.builder("cpns_gateway_key_requests").description("PNE Key Requests ended, by outcome and status")
                        .tag("outcome", outcome).tag("status", Integer.toString(status)).register(registry).increment();
            }
        };
    }

    /** Serves /health, /ready and /metrics for a server. */
    public static Future<HttpServer> serve(final Vertx vertx, final String host, final int port,
            final ServerApplication server) {
        Gauge.builder("cpns_server_broker_connected_instances", server, ServerApplication::connectedInstances)
                .description("Request-handling instances connected to the cloud broker").strongReference(true).register(registry());
        Gauge.builder("cpns_server_broker_connected", server, s -> s.ready() ? 1 : 0)
                .description("1 when every request-handling instance is connected to the cloud broker, else 0")
                .strongReference(true).register(registry());
        final HealthChecks ready = HealthChecks.create(vertx).register("cloud-broker",
                p -> p.complete(server.ready() ? Status.OK() : Status.KO()));
        return serve(vertx, host, port, ready);
    }

    /** Serves /health, /ready and /metrics for a gateway. */
    public static Future<HttpServer> serve(final Vertx vertx, final String host, final int port,
            final GatewayApplication gateway) {
        final GatewayHealth h = gateway.health();
        Gauge.builder("cpns_gateway_pending_approvals", h, GatewayHealth::pendingApprovals)
                .description("Key Requests waiting for the user's decision").strongReference(true).register(registry());
        Gauge.builder("cpns_gateway_queued_for_cloud", h, GatewayHealth::queuedForCloud)
                .description("Approved Key Requests waiting for an unreachable CPNS Server").strongReference(true)
                .register(registry());
        Gauge.builder("cpns_gateway_broker_connected", h, x -> x.panConnected() ? 1 : 0).tag("broker", "pan")
                .description("1 when every gateway instance is connected to that broker (pan, cloud), else 0")
                .strongReference(true).register(registry());
        Gauge.builder("cpns_gateway_broker_connected", h, x -> x.cloudConnected() ? 1 : 0).tag("broker", "cloud")
                .description("1 when every gateway instance is connected to that broker (pan, cloud), else 0")
                .strongReference(true).register(registry());
        final HealthChecks ready = HealthChecks.create(vertx)
                .register("pan-broker", p -> p.complete(h.panConnected() ? Status.OK() : Status.KO()))
                .register("cloud-broker", p -> p.complete(h.cloudConnected() ? Status.OK() : Status.KO()));
        return serve(vertx, host, port, ready);
    }

    private static Future<HttpServer> serve(final Vertx vertx, final String host, final int port,
            final HealthChecks ready) {
        final Router router = Router.router(vertx);
        router.get("/health").handler(ctx -> ctx.json(new JsonObject().put("status", "UP")));
        router.get("/ready").handler(ctx -> ready.checkStatus().onComplete(ar -> {
            final boolean ok = ar.succeeded() && ar.result().getUp();
            ctx.response().setStatusCode(ok ? 200 : 503).putHeader("content-type", "application/json")
                    .end(ar.succeeded() ? ar.result().toJson().encode() : new JsonObject().put("status", "DOWN").encode());
        }));
        router.get("/metrics").handler(PrometheusScrapingHandler.create());
        // HTTP/1.1 only: a client asking to upgrade to cleartext HTTP/2 (h2c; the JDK HttpClient does by default)
        // gets its answer over HTTP/1.1. With the upgrade, a Vert.x 5.0.7 server sometimes sent a response body
        // of a few hundred KB (the size of /metrics) as HTTP/1 bytes on the HTTP/2 connection: the JDK client
        // failed with a protocol error, or (ObservabilityIT, 2 suite runs in 6) waited for ever. Prometheus
        // scrapes over HTTP/1.1 anyway.
        return vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(false)).requestHandler(router)
                .listen(port, host);
    }
}
