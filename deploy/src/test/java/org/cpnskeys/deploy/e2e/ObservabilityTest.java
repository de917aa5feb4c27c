package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
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
class ObservabilityTest {
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
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @DisplayName("server and gateway answer /health and /ready (connected to their brokers)")
    void healthAndReadiness_up() throws Exception {
        for (final int port : new int[] {serverPort, gatewayPort}) {
            assertEquals(200, get(port, "/health").statusCode());
            Fixture.eventually(java.time.Duration.ofSeconds(10), "ready", () -> {
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
        assertTrue(server.contains("vertx_"), "Vert.x's own metrics");
        final String gateway = get(gatewayPort, "/metrics").body();
        assertTrue(gateway.contains("cpns_gateway_key_requests_total{outcome=\"delivered\",status=\"200\"}"), gateway);
        assertTrue(gateway.contains("cpns_gateway_pending_approvals"));
        assertTrue(gateway.contains("cpns_gateway_broker_connected{broker=\"cloud\"} 1.0"));
    }
}
