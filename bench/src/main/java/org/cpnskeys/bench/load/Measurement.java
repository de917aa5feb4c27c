package org.cpnskeys.bench.load;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.deploy.fleet.PneFleet;
import org.cpnskeys.gateway.pan.PanCertificateAuthority;
import org.cpnskeys.protocol.Status;

/**
 * What every mode of {@code cpns bench} measures once the system runs (in this JVM or in JVMs of their own):
 * the echo harness beside it, both fleets, the warm-up, the optional ceiling probe, then the interleaved windows
 * of the closed loop, the open loop at {@code --rate}, or the {@code --sweep}. Returns the RESULT line.
 */
final class Measurement {
    private final BenchCommand options;
    private final Path dir;
    private final Duration window;
    private final Duration timeout;
    private final Interleaved windows;
    private final List<Double> rates;

    Measurement(final BenchCommand options, final Path dir) {
        this.options = options;
        this.dir = dir;
        this.window = BenchCommand.parse(options.window);
        this.timeout = BenchCommand.parse(options.timeout);
        this.windows = new Interleaved(window, Duration.ofMillis(Math.min(1000, window.toMillis() / 4)),
                timeout.plusSeconds(5), Duration.ofMillis(10));
        this.rates = options.sweep != null ? options.sweepRates()
                : options.rate != null ? List.of(options.rate) : List.of();
    }

    /** How many PNEs to enroll: the fleet's, four times as many with {@code --ceiling-probe}. */
    int members() {
        return (options.ceilingProbe ? 4 : 1) * options.pnes;
    }

    /**
     * Measures the system whose PAN broker listens on {@code panPort} (TLS, PAN CA {@code ca}), with the PNEs
     * {@code members} (at least {@link #members()}); returns the RESULT line.
     */
    String run(final int panPort, final PanCertificateAuthority ca, final List<PneFleet.Member> members,
            final String where) throws Exception {
        final Duration warm = BenchCommand.parse(options.warmup);
        final Duration ceilingWarm = BenchCommand.parse(options.ceilingDuration);
        if (options.sweep != null) {
            Files.createDirectories(options.sweep);
        }
        final String caPem = ca.caCertificatePem();
        System.out.printf("bench: %s; %d PNEs, %s, windows of %s (ceiling on %s and system alternating), warm-up %s + %s,"
                + " Java %s, collectors %s; load average before: %s%n", where, options.pnes,
                rates.isEmpty() ? options.inflight + " in flight" : "open loop at " + rates + "/s", window,
                options.ceilingClient().name().toLowerCase(Locale.ROOT), warm, ceilingWarm, Runtime.version(),
                ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName).toList(),
                loadAverage());
        final List<PneFleet.Member> fleetMembers = members.subList(0, options.pnes);
        try (EchoBrokers echo = EchoBrokers.start(Files.createDirectories(dir.resolve("echo")), ca,
                options.ceilingClient(), options.echoServers);
                PneFleet fleet = PneFleet.connect("localhost", panPort, caPem, fleetMembers).recordKeyCheckValues(false)) {
            final Requester toSystem = requester(fleet, timeout);
            final Interleaved.Leg closed = new Interleaved.Leg("system", toSystem,
                    new ClosedLoop(options.inflight, LoadClock.SYSTEM), Status.OK);
            windows.once(rates.isEmpty() ? closed : open(toSystem, rates.get(0)), warm, false);
            if (options.ceilingProbe) {
                // before the run's echo fleet connects: the probe's fleets use the same PNEs (client IDs)
                new CeilingProbe(windows, window, timeout, caPem, members).run(echo, dir, ca, options.ceilingClient(),
                        options.pnes, options.inflight);
            }
            try (PneFleet echoFleet = PneFleet.connect("localhost", echo.panTlsPort(), caPem, fleetMembers)
                    .recordKeyCheckValues(false)) {
                return measure(new Interleaved.Leg("ceiling", requester(echoFleet, timeout),
                        new ClosedLoop(options.inflight, LoadClock.SYSTEM), Status.UNAVAILABLE), closed, toSystem,
                        ceilingWarm);
            }
        }
    }

    /** With both fleets connected and the system warm: the ceiling's warm-up, then the windows. */
    private String measure(final Interleaved.Leg ceiling, final Interleaved.Leg closed, final Requester toSystem,
            final Duration ceilingWarm) throws Exception {
        windows.once(ceiling, ceilingWarm, false);
        if (options.sweep != null) {
            return new Sweep(windows, ceiling, step -> open(toSystem, step), options.sweep)
                    .run(rates, pairs(BenchCommand.parse(options.stepDuration), window));
        }
        final Interleaved.Leg leg = rates.isEmpty() ? closed : open(toSystem, rates.get(0));
        final Report.Summary summary = Report.summarize(windows.run(ceiling, leg,
                pairs(BenchCommand.parse(options.duration), window)));
        System.out.printf("this JVM: heap used %d MiB, old generation after GC %d MiB%n",
                ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20,
                BenchCommand.oldGenAfterGcMiB());
        return summary.resultLine();
    }

    /** Windows of the system for a measured time: at least one. */
    static int pairs(final Duration measure, final Duration window) {
        return (int) Math.max(1, Math.round((double) measure.toNanos() / window.toNanos()));
    }

    private Interleaved.Leg open(final Requester requester, final double rate) {
        return new Interleaved.Leg("system", requester, new OpenLoop(rate, options.pnes, options.maxOutstanding, timeout,
                LoadClock.SYSTEM), Status.OK);
    }

    /** Requests through a PNE fleet: slot i is PNE i mod size; an answer later than {@code timeout} is an error. */
    static Requester requester(final PneFleet fleet, final Duration timeout) {
        return (slot, id) -> {
            final int member = slot % fleet.size();
            return fleet.requestKey(member, id).orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((s, e) -> {
                if (e != null) {
                    fleet.forget(member, id);
                }
            });
        };
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (java.io.IOException e) {
            return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    /** Whether a RESULT line reports no error. */
    static boolean clean(final String result) {
        return result.contains(" errors=0 ");
    }
}
