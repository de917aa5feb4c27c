package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.deploy.Observability;
import org.cpnskeys.gateway.approval.RuleBasedApproval;
import org.cpnskeys.pne.PneApplication;
import org.cpnskeys.protocol.EntityId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** /health, /ready and /metrics on a running server and gateway, as the launcher serves them. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ObservabilityIT {
    @TempDir
    static Path dir;
    static Vertx vertx;
    static LocalSystem system;
    static int serverPort;
    static int gatewayPort;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        vertx = Observability.vertx();
        system = Fixture.await(LocalSystem.start(vertx, dir, LocalSystem.Options.defaults(),
                RuleBasedApproval.parse("allow:*"), (realm, why) -> Future.succeededFuture(Optional.empty()),
                Observability.serverMetrics(), Observability.gatewayMetrics()));
        serverPort = Fixture.await(Observability.serve(vertx, "127.0.0.1", 0, system.server())).actualPort();
        gatewayPort = Fixture.await(Observability.serve(vertx, "127.0.0.1", 0, system.gateway())).actualPort();
    }

    @AfterAll
    static void stop() {
        if (system != null) {
            Fixture.await(system.stop());
        }
        Fixture.await(vertx.close());
    }

    static HttpResponse<String> get(final int port, final String path) throws Exception {
        return get(HTTP, port, path);
    }

    static HttpResponse<String> get(final HttpClient client, final int port, final String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @DisplayName("a client asking to upgrade to cleartext HTTP/2 (the JDK HttpClient's default) gets every answer, over HTTP/1.1")
    void h2cUpgrade_answeredOverHttp11() throws Exception {
        assertTrue(Fixture.await(system.pne(EntityId.of("metrics-h2c"), Optional.empty(), Optional.empty())
                .compose(c -> PneApplication.requestKey(vertx, c))).stored());
        for (final int port : new int[] {serverPort, gatewayPort}) {
            for (int i = 0; i < 5; i++) {
                // a new client each time: the first request on a connection is the one that asks for the upgrade
                final HttpClient fresh = HttpClient.newHttpClient();
                assertEquals(HttpClient.Version.HTTP_2, fresh.version(), "the JDK client asks for h2c by default");
                final HttpResponse<String> metrics = get(fresh, port, "/metrics");
                assertEquals(200, metrics.statusCode());
                assertEquals(HttpClient.Version.HTTP_1_1, metrics.version());
                assertTrue(metrics.body().contains("vertx_"), "the whole exposition, not a truncated one");
                assertEquals(200, get(fresh, port, "/health").statusCode(), "the connection still answers");
            }
        }
    }

    @Test
    @DisplayName("server and gateway answer /health and /ready (connected to their brokers)")
    void healthAndReadiness_up() throws Exception {
        for (final int port : new int[] {serverPort, gatewayPort}) {
            assertEquals(200, get(port, "/health").statusCode());
            Fixture.eventually(Duration.ofSeconds(10), "ready", () -> {
                try {
                    return get(port, "/ready").statusCode() == 200;
                } catch (Exception e) {
                    return false;
                }
            });
            assertEquals("UP", new JsonObject(get(port, "/ready").body()).getString("status"));
        }
    }

    @Test
    @DisplayName("/metrics counts assignments by outcome on server and gateway, with latency, pending approvals and Vert.x metrics")
    void metrics_countAssignments() throws Exception {
        assertTrue(Fixture.await(system.pne(EntityId.of("metrics-1"), Optional.empty(), Optional.empty())
                .compose(c -> PneApplication.requestKey(vertx, c))).stored());
        final String server = get(serverPort, "/metrics").body();
        assertTrue(server.contains("cpns_server_key_requests_total{outcome=\"delivered\",status=\"200\"}"), server);
        assertTrue(server.contains("cpns_server_key_requests_total{outcome=\"challenged\",status=\"401\"}"));
        assertTrue(server.contains("cpns_server_key_request_latency_seconds_bucket"));
        assertTrue(server.contains("cpns_server_broker_connected_instances"));
        assertTrue(server.contains("cpns_server_stored_keys_unopenable_total 0.0"), "exported before the first one");
        assertTrue(server.contains("cpns_server_lockouts_total 0.0"), "exported before the first one");
        assertTrue(server.contains("cpns_server_internal_errors_total 0.0"), "exported before the first one");
        assertTrue(server.contains("cpns_server_broker_connected 1.0"), server);
        assertTrue(server.contains("vertx_"), "Vert.x's own metrics");
        final String gateway = get(gatewayPort, "/metrics").body();
        assertTrue(gateway.contains("cpns_gateway_key_requests_total{outcome=\"delivered\",status=\"200\"}"), gateway);
        assertTrue(gateway.contains("cpns_gateway_pending_approvals"));
        assertTrue(gateway.contains("cpns_gateway_broker_connected{broker=\"cloud\"} 1.0"));
    }
}
