package org.cpnskeys.bench.load;

import java.util.List;
import java.util.Locale;

/**
 * The sweep's plot as SVG, written by hand (no dependency): latency (p50, p99, p99.9, ms, from the intended send
 * time) against the offered rate, with axes and ticks; the latency on a logarithmic scale (whole decades), so that
 * the few milliseconds of a light load and the seconds of an overload are both readable on one plot. A step whose achieved rate fell short of its offered
 * rate by more than 5 %, or that had errors, is marked (a hollow square round each of its points and its
 * achieved rate written above it): there the system no longer keeps up and the latency measures a queue.
 */
final class SweepPlot {
    /** One step of the sweep. */
    record Point(double offered, double achieved, double p50, double p99, double p999, double max, long errors,
            long notSent, double ceiling, double ratio) {
        /** A step's figures: the configured rate, the merged system windows, the ceiling's median and the ratio. */
        static Point of(final double rate, final Report.Summary s) {
            final Run r = s.system();
            return new Point(rate, r.perSecond(), r.ms(50), r.ms(99), r.ms(99.9),
                    r.latency().getTotalCount() == 0 ? 0 : r.latency().getMaxValue() / 1e6, r.errors(), r.missed(),
                    s.ceilingMedian(), s.ratio());
        }

        boolean keptUp() {
            return errors == 0 && achieved >= 0.95 * offered;
        }
    }

    static final int WIDTH = 800;
    static final int HEIGHT = 500;
    static final int LEFT = 80;
    static final int RIGHT = 30;
    static final int TOP = 50;
    static final int BOTTOM = 60;
    private static final String[] NAMES = {"p50", "p99", "p99.9"};
    private static final String[] COLOURS = {"#1f77b4", "#ff7f0e", "#d62728"};

    private final List<Point> points;
    private final double xTick;
    private final double xMax;
    private final double yMin;
    private final double yMax;

    SweepPlot(final List<Point> points) {
        if (points.isEmpty()) {
            throw new IllegalArgumentException("a plot needs at least one step");
        }
        this.points = List.copyOf(points);
        final double highest = points.stream().mapToDouble(Point::offered).max().orElse(1);
        // about five ticks of a 1, 2 or 5 step; the axis ends at the first tick at or above the highest rate
        this.xTick = niceCeiling(highest / 5);
        this.xMax = Math.max(xTick, Math.ceil(highest / xTick - 1e-9) * xTick);
        final double lowest = points.stream().mapToDouble(Point::p50).filter(v -> v > 0).min().orElse(1);
        this.yMin = Math.pow(10, Math.floor(Math.log10(Math.max(MIN_MS, lowest)) + 1e-12));
        this.yMax = Math.max(yMin * 10, Math.pow(10, Math.ceil(Math.log10(Math.max(MIN_MS,
                points.stream().mapToDouble(Point::p999).max().orElse(1))) - 1e-12)));
    }

    /** The lowest latency the scale shows, ms (anything below is drawn on the bottom edge). */
    static final double MIN_MS = 0.1;

    /** The pixel column of a rate. */
    double x(final double rate) {
        return LEFT + rate / xMax * (WIDTH - LEFT - RIGHT);
    }

    /** The pixel row of a latency in ms: {@link #yMin} at the bottom of the plot area, {@link #yMax} at its top. */
    double y(final double ms) {
        final double decades = Math.log10(yMax / yMin);
        return HEIGHT - BOTTOM - Math.log10(Math.max(ms, yMin) / yMin) / decades * (HEIGHT - TOP - BOTTOM);
    }

    double yMin() {
        return yMin;
    }

    double xMax() {
        return xMax;
    }

    double yMax() {
        return yMax;
    }

    /** The smallest 1, 2 or 5 times a power of ten at or above {@code v} (1 for v at or below 0). */
    static double niceCeiling(final double v) {
        if (!(v > 0)) {
            return 1;
        }
        final double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (final double m : new double[] {1, 2, 5, 10}) {
            if (m * p >= v * (1 - 1e-12)) {
                return m * p;
            }
        }
        return 10 * p;
    }

    String svg(final String title) {
        final StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>%n<svg xmlns=\"http://www.w3.org/2000/svg\""
                + " width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n",
                WIDTH, HEIGHT, WIDTH, HEIGHT, WIDTH, HEIGHT));
        b.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, HEIGHT));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-size=\"14\">%s</text>%n", LEFT, escape(title)));
        axes(b);
        for (int c = 0; c < NAMES.length; c++) {
            curve(b, c);
        }
        for (final Point p : points) {
            if (!p.keptUp()) {
                // near the right edge the label ends at its point, so that it stays inside the picture
                b.append(String.format(Locale.ROOT, "<text class=\"achieved\" x=\"%.1f\" y=\"%d\" text-anchor=\"%s\""
                        + " fill=\"#444\">achieved %.0f/s%s</text>%n", x(p.offered()), TOP - 6,
                        x(p.offered()) > WIDTH - RIGHT - 120 ? "end" : "middle", p.achieved(),
                        p.errors() > 0 ? ", " + p.errors() + " errors" : ""));
            }
        }
        legend(b);
        return b.append("</svg>\n").toString();
    }

    private void axes(final StringBuilder b) {
        final int x0 = LEFT;
        final int y0 = HEIGHT - BOTTOM;
        b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", x0, y0,
                WIDTH - RIGHT, y0));
        b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", x0, y0, x0,
                TOP));
        for (int i = 0; i * xTick <= xMax * (1 + 1e-9); i++) {
            final double rate = i * xTick;
            b.append(String.format(Locale.ROOT, "<line class=\"xtick\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\"/>"
                    + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", x(rate), y0, x(rate), y0 + 5,
                    x(rate), y0 + 20, label(rate)));
        }
        for (double decade = yMin; decade <= yMax * (1 + 1e-9); decade *= 10) {
            b.append(String.format(Locale.ROOT, "<line class=\"ytick\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#bbb\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", x0, y(decade), WIDTH - RIGHT, y(decade),
                    x0 - 6, y(decade) + 4, label(decade)));
            for (final int m : new int[] {2, 5}) {
                if (decade * m < yMax) {
                    b.append(String.format(Locale.ROOT, "<line class=\"yminor\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\""
                            + " stroke=\"#eee\"/>%n", x0, y(decade * m), WIDTH - RIGHT, y(decade * m)));
                }
            }
        }
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">offered assignments/s</text>%n",
                (LEFT + WIDTH - RIGHT) / 2, HEIGHT - 15));
        b.append(String.format(Locale.ROOT, "<text transform=\"translate(20,%d) rotate(-90)\" text-anchor=\"middle\">latency"
                + " from the intended send time, ms (log scale)</text>%n", (TOP + HEIGHT - BOTTOM) / 2));
    }

    private void curve(final StringBuilder b, final int c) {
        final StringBuilder line = new StringBuilder();
        final StringBuilder marks = new StringBuilder();
        for (final Point p : points) {
            final double v = c == 0 ? p.p50() : c == 1 ? p.p99() : p.p999();
            line.append(String.format(Locale.ROOT, "%.1f,%.1f ", x(p.offered()), y(v)));
            marks.append(String.format(Locale.ROOT, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n",
                    NAMES[c], x(p.offered()), y(v), COLOURS[c]));
            if (!p.keptUp()) {
                marks.append(String.format(Locale.ROOT, "<rect class=\"short\" x=\"%.1f\" y=\"%.1f\" width=\"10\""
                        + " height=\"10\" fill=\"none\" stroke=\"black\"/>%n", x(p.offered()) - 5, y(v) - 5));
            }
        }
        b.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n",
                line.toString().strip(), COLOURS[c]));
        b.append(marks);
    }

    private void legend(final StringBuilder b) {
        for (int c = 0; c < NAMES.length; c++) {
            final int y = TOP + 10 + 18 * c;
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>%n", LEFT + 15, y, LEFT + 40, y, COLOURS[c], LEFT + 46, y + 4,
                    NAMES[c]));
        }
        b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"none\" stroke=\"black\"/>"
                + "<text x=\"%d\" y=\"%d\">achieved &lt; 95 %% of offered, or errors</text>%n", LEFT + 22, TOP + 59,
                LEFT + 46, TOP + 68));
    }

    private static String label(final double v) {
        return Math.abs(v - Math.rint(v)) < 1e-9 ? String.format(Locale.ROOT, "%.0f", v)
                : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String escape(final String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** The steps as CSV, one line per step after a header. */
    static String csv(final List<Point> points) {
        final StringBuilder b = new StringBuilder(
                "offered_per_s,assignments_per_s,p50_ms,p99_ms,p999_ms,max_ms,errors,not_sent,ceiling_per_s,ceiling_ratio\n");
        for (final Point p : points) {
            b.append(String.format(Locale.ROOT, "%.0f,%.0f,%.2f,%.2f,%.2f,%.2f,%d,%d,%.0f,%.2f\n", p.offered(),
                    p.achieved(), p.p50(), p.p99(), p.p999(), p.max(), p.errors(), p.notSent(), p.ceiling(), p.ratio()));
        }
        return b.toString();
    }
}
