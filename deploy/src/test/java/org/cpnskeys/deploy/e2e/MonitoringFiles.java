package org.cpnskeys.deploy.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import org.yaml.snakeyaml.Yaml;

/**
 * The PromQL expressions of deploy/monitoring (the alert rules and the Grafana dashboard's queries) and the metric
 * names their selectors use, and the metric names a Prometheus exposition holds.
 */
final class MonitoringFiles {
    /** Series Prometheus makes itself for every target, not exported by it. */
    static final Set<String> PROMETHEUS_OWN = Set.of("up", "scrape_duration_seconds", "scrape_samples_scraped");

    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on",
            "ignoring", "group_left", "group_right", "inf", "nan", "atan2");
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern RANGES = Pattern.compile("\\[[^]]*]");
    private static final Pattern GROUPING = Pattern.compile(
            "\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w:$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?");

    private MonitoringFiles() {
    }

    static Path folder() {
        final Path here = Path.of("").toAbsolutePath();
        return Files.isDirectory(here.resolve("monitoring")) ? here.resolve("monitoring")
                : here.resolve("deploy").resolve("monitoring");
    }

    /** The {@code expr} of every rule of a Prometheus rule file. */
    static List<String> ruleExpressions(final Path rules) throws IOException {
        final Map<String, Object> doc = new Yaml().load(Files.readString(rules));
        final List<String> out = new ArrayList<>();
        for (final Object group : (List<?>) doc.get("groups")) {
            for (final Object rule : (List<?>) ((Map<?, ?>) group).get("rules")) {
                out.add(String.valueOf(((Map<?, ?>) rule).get("expr")));
            }
        }
        return out;
    }

    /** The {@code expr} of every query of every panel (rows' panels included) of a Grafana dashboard. */
    static List<String> dashboardExpressions(final Path dashboard) throws IOException {
        final List<String> out = new ArrayList<>();
        collect(new JsonObject(Files.readString(dashboard)).getJsonArray("panels", new JsonArray()), out);
        return out;
    }

    private static void collect(final JsonArray panels, final List<String> out) {
        for (int i = 0; i < panels.size(); i++) {
            final JsonObject panel = panels.getJsonObject(i);
            final JsonArray targets = panel.getJsonArray("targets", new JsonArray());
            for (int t = 0; t < targets.size(); t++) {
                out.add(targets.getJsonObject(t).getString("expr"));
            }
            collect(panel.getJsonArray("panels", new JsonArray()), out);
        }
    }

    /**
     * The metric names of an expression's selectors: what is left once strings, label matchers, ranges, grouping
     * clauses, functions, keywords and numbers are taken out. Grafana's variables sit in matchers and ranges.
     */
    static Set<String> metricNames(final String expr) {
        String s = STRING.matcher(expr).replaceAll("\"\"");
        s = MATCHERS.matcher(s).replaceAll(" ");
        s = RANGES.matcher(s).replaceAll(" ");
        s = GROUPING.matcher(s).replaceAll(" ");
        final Set<String> names = new TreeSet<>();
        final Matcher m = IDENTIFIER.matcher(s);
        while (m.find()) {
            if (m.group(2) == null && !KEYWORDS.contains(m.group(1).toLowerCase(java.util.Locale.ROOT))) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    /** The sample names of a Prometheus text exposition (histograms' _bucket, _count and _sum included). */
    static Set<String> exportedNames(final String exposition) {
        final Set<String> names = new TreeSet<>();
        for (final String line : exposition.split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                names.add(line.split("[{ ]", 2)[0]);
            }
        }
        return names;
    }
}
