package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.deploy.Observability;
import org.cpnskeys.gateway.approval.RuleBasedApproval;
import org.cpnskeys.pne.PneApplication;
import org.cpnskeys.protocol.EntityId;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every metric the alert rules and the Grafana dashboard of deploy/monitoring use is one a running server or
 * gateway exports (Grafana and Prometheus cannot run here; promtool checks the rules' syntax and logic in CI).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MonitoringMetricNamesIT {
    @TempDir
    Path dir;

    @Test
    @DisplayName("after one assignment, the server and gateway export every metric named in cpns-alerts.yml and cpns-dashboard.json")
    void rulesAndDashboard_useOnlyExportedMetrics() throws Exception {
        final Vertx vertx = Observability.vertx();
        final LocalSystem system = Fixture.await(LocalSystem.start(vertx, dir, LocalSystem.Options.defaults(),
                RuleBasedApproval.parse("allow:*"), (realm, why) -> Future.succeededFuture(Optional.empty()),
                Observability.serverMetrics(), Observability.gatewayMetrics()));
        try {
            final int serverPort = Fixture.await(Observability.serve(vertx, "127.0.0.1", 0, system.server())).actualPort();
            final int gatewayPort = Fixture.await(Observability.serve(vertx, "127.0.0.1", 0, system.gateway()))
                    .actualPort();
            assertTrue(Fixture.await(system.pne(EntityId.of("monitoring-1"), Optional.empty(), Optional.empty())
                    .compose(c -> PneApplication.requestKey(vertx, c))).stored());
            final Set<String> server = MonitoringFiles.exportedNames(scrape(serverPort));
            final Set<String> gateway = MonitoringFiles.exportedNames(scrape(gatewayPort));

            final Path folder = MonitoringFiles.folder();
            final List<String> exprs = new ArrayList<>(MonitoringFiles.ruleExpressions(folder.resolve("cpns-alerts.yml")));
            exprs.addAll(MonitoringFiles.dashboardExpressions(folder.resolve("cpns-dashboard.json")));
            final Set<String> used = new TreeSet<>();
            exprs.forEach(e -> used.addAll(MonitoringFiles.metricNames(e)));
            assertTrue(used.size() >= 10, "the expressions were read: " + used);

            final Set<String> missing = new TreeSet<>();
            for (final String name : used) {
                final boolean exported = name.startsWith("cpns_server_") ? server.contains(name)
                        : name.startsWith("cpns_gateway_") ? gateway.contains(name)
                        : MonitoringFiles.PROMETHEUS_OWN.contains(name) || server.contains(name) || gateway.contains(name);
                if (!exported) {
                    missing.add(name);
                }
            }
            assertEquals(Set.of(), missing, "used by deploy/monitoring but not exported (server exports "
                    + server.stream().filter(n -> n.startsWith("cpns_")).toList() + ", gateway "
                    + gateway.stream().filter(n -> n.startsWith("cpns_")).toList() + ")");
        } finally {
            Fixture.await(system.stop());
            Fixture.await(vertx.close());
        }
    }

    private static String scrape(final int port) throws Exception {
        final HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body();
    }
}
