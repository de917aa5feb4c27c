package org.cpnskeys.bench.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;

/**
 * {@code cpns bench --sweep DIR}: the open loop at each rate in turn, each step in interleaved windows with the
 * ceiling; writes {@code sweep.csv} (one line per step) and {@code sweep.svg} (latency against offered load,
 * {@link SweepPlot}) to DIR, rewritten after every step so that an interrupted sweep keeps its steps so far.
 * Its RESULT line is the last step's.
 */
final class Sweep {
    static final String CSV = "sweep.csv";
    static final String SVG = "sweep.svg";

    private final Interleaved windows;
    private final Interleaved.Leg ceiling;
    private final DoubleFunction<Interleaved.Leg> system;
    private final Path dir;

    Sweep(final Interleaved windows, final Interleaved.Leg ceiling, final DoubleFunction<Interleaved.Leg> system,
            final Path dir) {
        this.windows = windows;
        this.ceiling = ceiling;
        this.system = system;
        this.dir = dir;
    }

    /** The rates of a sweep: {@code given} if any, else start, start + step, ... ({@code count} of them). */
    static List<Double> rates(final List<Double> given, final double start, final double step, final int count) {
        if (given != null && !given.isEmpty()) {
            return List.copyOf(given);
        }
        if (count < 1 || !(start > 0) || step < 0) {
            throw new IllegalArgumentException("--sweep-count and --sweep-start must be positive, --sweep-step not negative");
        }
        final List<Double> r = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            r.add(start + i * step);
        }
        return r;
    }

    /** Runs every step ({@code pairs} pairs of windows each); returns the last step's RESULT line. */
    String run(final List<Double> rates, final int pairs) throws InterruptedException, IOException {
        final List<SweepPlot.Point> points = new ArrayList<>();
        String last = null;
        for (final double rate : rates) {
            System.out.printf(Locale.ROOT, "sweep step %d of %d: %.0f/s offered%n", points.size() + 1, rates.size(), rate);
            final Report.Summary s = Report.summarize(windows.run(ceiling, system.apply(rate), pairs));
            last = s.resultLine();
            System.out.println("step " + last);
            points.add(SweepPlot.Point.of(rate, s));
            write(points);
        }
        System.out.printf("sweep: %s and %s written to %s%n", CSV, SVG, dir);
        return last;
    }

    private void write(final List<SweepPlot.Point> points) throws IOException {
        Files.writeString(dir.resolve(CSV), SweepPlot.csv(points), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(SVG), new SweepPlot(points).svg("cpns bench --sweep: latency against offered load"
                + " (1-min load average " + Measurement.loadAverage().split(" ")[0] + " at the end)"), StandardCharsets.UTF_8);
    }
}
