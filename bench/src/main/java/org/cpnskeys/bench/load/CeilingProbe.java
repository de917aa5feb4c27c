package org.cpnskeys.bench.load;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.cpnskeys.deploy.fleet.PneFleet;
import org.cpnskeys.gateway.pan.PanCertificateAuthority;
import org.cpnskeys.protocol.Status;

/**
 * {@code cpns bench --ceiling-probe}: is the ceiling one? Measures the echo, one window each, at the run's
 * settings and at more connections (2 x and 4 x the PNEs), more in flight (2 x), more echo servers (2, sharing
 * the Key Requests) and the other MQTT client for the relays, then the run's settings again (to see the drift
 * across the probe). If a setting beats the run's by more than 10 %, the run's ceiling is not the harness's
 * best, and the probe says so.
 */
final class CeilingProbe {
    /** One setting and the pairs/s it gave. */
    record Point(String setting, double perSecond) {
    }

    private final Interleaved windows;
    private final Duration window;
    private final Duration timeout;
    private final String caPem;
    private final List<PneFleet.Member> members;

    /** {@code members}: at least 4 x {@code pnes} enrolled PNEs. */
    CeilingProbe(final Interleaved windows, final Duration window, final Duration timeout, final String caPem,
            final List<PneFleet.Member> members) {
        this.windows = windows;
        this.window = window;
        this.timeout = timeout;
        this.caPem = caPem;
        this.members = members;
    }

    List<Point> run(final EchoBrokers echo, final Path dir, final PanCertificateAuthority ca,
            final EchoClient client, final int pnes, final int inflight) throws Exception {
        final List<Point> points = new ArrayList<>();
        points.add(measure("run's settings", echo, pnes, inflight));
        points.add(measure("2 x PNEs", echo, 2 * pnes, inflight));
        points.add(measure("4 x PNEs", echo, 4 * pnes, inflight));
        points.add(measure("2 x in flight", echo, pnes, 2 * inflight));
        try (EchoBrokers two = EchoBrokers.start(Files.createDirectories(dir.resolve("probe-2")), ca, client, 2)) {
            points.add(measure("2 echo servers", two, pnes, inflight));
        }
        final EchoClient other = client == EchoClient.VERTX ? EchoClient.HIVEMQ
                : EchoClient.VERTX;
        try (EchoBrokers o = EchoBrokers.start(Files.createDirectories(dir.resolve("probe-other")), ca, other, 1)) {
            points.add(measure("relays on " + other.name().toLowerCase(Locale.ROOT), o, pnes, inflight));
        }
        points.add(measure("run's settings again", echo, pnes, inflight));
        verdict(points).forEach(System.out::println);
        return points;
    }

    /** The probe's conclusion: a warning when a setting beat the run's (the better of its two windows) by 10 %. */
    static List<String> verdict(final List<Point> points) {
        final double base = Math.max(points.get(0).perSecond(), points.get(points.size() - 1).perSecond());
        final Point best = points.stream().max(java.util.Comparator.comparingDouble(Point::perSecond)).orElseThrow();
        final List<String> out = new ArrayList<>();
        if (best.perSecond() > 1.1 * base) {
            out.add(String.format(Locale.ROOT, "WARNING: ceiling probe: %s gave %.0f pairs/s, %.0f %% above the run's"
                    + " settings (%.0f): the run's ceiling is not the harness's best; use those settings",
                    best.setting(), best.perSecond(), (best.perSecond() / base - 1) * 100, base));
        } else {
            out.add(String.format(Locale.ROOT, "ceiling probe: no setting beat the run's (%.0f pairs/s) by more than 10 %%;"
                    + " best %s at %.0f", base, best.setting(), best.perSecond()));
        }
        return out;
    }

    private Point measure(final String setting, final EchoBrokers echo, final int pnes, final int inflight)
            throws Exception {
        try (PneFleet fleet = PneFleet.connect("localhost", echo.panTlsPort(), caPem, members.subList(0, pnes))
                .recordKeyCheckValues(false)) {
            final Interleaved.Leg leg = new Interleaved.Leg("ceiling probe", Measurement.requester(fleet, timeout),
                    new ClosedLoop(inflight, LoadClock.SYSTEM), Status.UNAVAILABLE);
            windows.once(leg, Duration.ofSeconds(1), false);
            final Run r = windows.once(leg, window, true);
            System.out.printf(Locale.ROOT, "  ceiling probe, %s (%d PNEs, %d in flight): %.0f pairs/s, p99 %.2f ms, errors %d%n",
                    setting, pnes, inflight, r.perSecond(), r.ms(99), r.errors());
            return new Point(setting, r.perSecond());
        }
    }
}
