package org.cpnskeys.bench.load;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The bench's summary: the spread of the interleaved windows, the merged system figures, warnings, and the
 * machine-readable last line
 * {@code RESULT offered_per_s=<n> assignments_per_s=<n> p50_ms=<n> p99_ms=<n> p999_ms=<n> errors=<n> ceiling_ratio=<n>}.
 */
final class Report {
    /** The RESULT line's format; .ci/run and the tests match it. */
    static final String RESULT_FORMAT =
            "RESULT offered_per_s=%.0f assignments_per_s=%.0f p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f errors=%d ceiling_ratio=%.2f";

    /** A regular expression that matches exactly one RESULT line (groups: the seven figures in order). */
    static final String RESULT_PATTERN = "^RESULT offered_per_s=([0-9]+) assignments_per_s=([0-9]+) p50_ms=([0-9.]+)"
            + " p99_ms=([0-9.]+) p999_ms=([0-9.]+) errors=([0-9]+) ceiling_ratio=([0-9.]+)$";

    /** The system windows merged, the ceiling's median, and the ratio of the medians. */
    record Summary(Run system, double ceilingMedian, double systemMedian, double ratio) {
        String resultLine() {
            return result(system, ratio);
        }
    }

    private Report() {
    }

    static String result(final Run system, final double ratio) {
        return String.format(Locale.ROOT, RESULT_FORMAT, system.offeredPerSecond(), system.perSecond(), system.ms(50),
                system.ms(99), system.ms(99.9), system.errors(), ratio);
    }

    /** min, median and max of the windows' values (median of an even count: the mean of the middle two). */
    static double[] spread(final List<Run> runs, final ToDoubleFunction<Run> value) {
        return spread(runs.stream().mapToDouble(value).toArray());
    }

    /** min, median and max of {@code values}. */
    static double[] spread(final double[] values) {
        final double[] v = values.clone();
        Arrays.sort(v);
        if (v.length == 0) {
            return new double[] {0, 0, 0};
        }
        final double median = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        return new double[] {v[0], median, v[v.length - 1]};
    }

    /** Prints the spread and the merged figures; returns the summary (ratio = median system / median ceiling). */
    static Summary summarize(final List<Interleaved.Pair> pairs) {
        final List<Run> ceilings = pairs.stream().map(Interleaved.Pair::ceiling).toList();
        final List<Run> systems = pairs.stream().map(Interleaved.Pair::system).toList();
        final double[] c = spread(ceilings, Run::perSecond);
        final double[] s = spread(systems, Run::perSecond);
        final double[] r = spread(pairs.stream().mapToDouble(Interleaved.Pair::ratio).toArray());
        final Run system = Run.merge(systems);
        final double ratio = c[1] > 0 ? s[1] / c[1] : 0;
        System.out.printf(Locale.ROOT, "ceiling: %d windows, echo pairs/s min %.0f median %.0f max %.0f (spread %.0f %% of"
                + " the median)%n", ceilings.size(), c[0], c[1], c[2], c[1] > 0 ? (c[2] - c[0]) / c[1] * 100 : 0);
        System.out.printf(Locale.ROOT, "system: %d windows, assignments/s min %.0f median %.0f max %.0f; per-pair ratio"
                + " min %.2f median %.2f max %.2f%n", systems.size(), s[0], s[1], s[2], r[0], r[1], r[2]);
        final var h = system.latency();
        System.out.printf(Locale.ROOT, "assignments: %.0f/s of %.0f/s offered over %.0f s; latency ms (from the intended"
                + " send time) p50 %.2f p90 %.2f p99 %.2f p99.9 %.2f max %.2f%n", system.perSecond(),
                system.offeredPerSecond(), system.seconds(), system.ms(50), system.ms(90), system.ms(99),
                system.ms(99.9), h.getTotalCount() == 0 ? 0 : h.getMaxValue() / 1e6);
        System.out.printf(Locale.ROOT, "statuses %s; errors %d (of which sends not made %d); process CPU %.0f%% of %d"
                + " cores%n", system.statuses(), system.errors(), system.missed(), system.cpu() * 100,
                Runtime.getRuntime().availableProcessors());
        warnings(system, ratio).forEach(System.out::println);
        final long echoErrors = ceilings.stream().mapToLong(Run::errors).sum();
        if (echoErrors > 0) {
            System.out.printf("WARNING: %d echo requests of the ceiling's windows were not answered: the ceiling is"
                    + " not measured%n", echoErrors);
        }
        return new Summary(system, c[1], s[1], ratio);
    }

    /** The warnings a run deserves: a ceiling below the system, a generator behind its schedule. */
    static List<String> warnings(final Run system, final double ratio) {
        final List<String> w = new java.util.ArrayList<>();
        if (ratio > 1) {
            w.add(String.format(Locale.ROOT, "WARNING: ceiling_ratio %.2f > 1: the echo ceiling measured below the system"
                    + " in this run, so it is not a ceiling here; do not read the ratio as headroom", ratio));
        }
        final double made = system.offeredPerSecond() * system.seconds();
        if (system.lateSends() > 0.01 * made || system.missed() > 0) {
            w.add(String.format(Locale.ROOT, "WARNING: the load generator fell behind its schedule: %d sends late, %d not"
                    + " made, %.1f ms behind at most (latencies still count from the scheduled times)",
                    system.lateSends(), system.missed(), system.maxLagNanos() / 1e6));
        }
        return w;
    }
}
