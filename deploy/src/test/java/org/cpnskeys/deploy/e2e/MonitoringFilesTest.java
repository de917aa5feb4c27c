package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

/** The metric names read from PromQL and from an exposition, on which MonitoringMetricNamesIT relies. */
class MonitoringFilesTest {
    @Test
    void selectorNames_areFound_butNotFunctionsLabelsKeywordsNumbersOrGrafanaVariables() {
        assertEquals(Set.of("cpns_server_key_request_latency_seconds_bucket"), MonitoringFiles.metricNames(
                "histogram_quantile(0.99, sum by (instance, le) (rate(cpns_server_key_request_latency_seconds_bucket"
                        + "{outcome=\"delivered\",instance=~\"$server\"}[$__rate_interval]))) > 0.5"));
        assertEquals(Set.of("a_total", "b_total"), MonitoringFiles.metricNames(
                "sum(rate(a_total{status=~\"5..\"}[5m])) by (instance) / ignoring(x) sum without (le) (b_total offset 5m)"
                        + " > bool 1e3 and on (instance) a_total"));
        assertEquals(Set.of("up"), MonitoringFiles.metricNames("absent(up{job=\"cpns-server\"})"));
        assertEquals(Set.of("cpns_gateway_broker_connected"),
                MonitoringFiles.metricNames("cpns_gateway_broker_connected{broker='cloud'} == 0"));
    }

    @Test
    void everyRuleAndDashboardQuery_namesAtLeastOneMetric() throws Exception {
        final Set<String> all = new TreeSet<>();
        for (final String expr : MonitoringFiles.ruleExpressions(MonitoringFiles.folder().resolve("cpns-alerts.yml"))) {
            assertTrue(!MonitoringFiles.metricNames(expr).isEmpty(), expr);
            all.addAll(MonitoringFiles.metricNames(expr));
        }
        for (final String expr : MonitoringFiles.dashboardExpressions(
                MonitoringFiles.folder().resolve("cpns-dashboard.json"))) {
            assertTrue(!MonitoringFiles.metricNames(expr).isEmpty(), expr);
            all.addAll(MonitoringFiles.metricNames(expr));
        }
        assertTrue(all.contains("cpns_server_key_request_latency_seconds_bucket"), all.toString());
        assertTrue(all.contains("cpns_server_key_request_latency_seconds_count"), all.toString());
        assertTrue(all.contains("cpns_gateway_pending_approvals"), all.toString());
    }

    @Test
    void exposition_namesEverySample_histogramSuffixesIncluded() {
        assertEquals(Set.of("h_seconds_bucket", "h_seconds_count", "h_seconds_sum", "g"), MonitoringFiles.exportedNames("""
                # HELP h_seconds a histogram
                # TYPE h_seconds histogram
                h_seconds_bucket{outcome="delivered",le="0.1"} 1.0
                h_seconds_count{outcome="delivered"} 1.0
                h_seconds_sum{outcome="delivered"} 0.01
                # TYPE g gauge
                g 0.0
                """));
    }
}
