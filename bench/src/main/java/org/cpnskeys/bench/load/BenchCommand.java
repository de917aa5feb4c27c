package org.cpnskeys.bench.load;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

import org.HdrHistogram.Histogram;

import org.cpnskeys.deploy.LauncherCommand;
import org.cpnskeys.deploy.LogOptions;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cpns bench}: the load generator. Runs the whole system in this process (cloud broker, server with the
 * durable SQLite store, gateway with its TLS PAN broker, approval by rule) beside an echo harness on brokers
 * configured the same way (the messaging ceiling: two QoS-1 round trips per request, PAN and cloud, same TLS,
 * same rules, as many connections), and measures both in alternating windows of one run
 * ({@link Interleaved}). The system's load is closed-loop ({@code --inflight}, {@link ClosedLoop}) or
 * open-loop ({@code --rate}, {@link OpenLoop}); {@code --sweep} runs a rising series of rates and writes a plot.
 * Each request has a new request ID, so each is a real durable assignment (a PNE's new key supersedes its
 * previous one). {@code --cloud-only} measures the cloud leg against server JVMs ({@link CloudLegBench}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Load generator: proxy EUKey assignments through the whole system in this",
                "process, in windows that alternate with an echo ceiling on brokers configured",
                "alike (ceiling_ratio = median system / median ceiling). Modes:",
                "  (default)     closed loop: --inflight requests always in flight;",
                "  --rate N      open loop: N/s on a fixed schedule, latency from each",
                "                request's intended send time;",
                "  --sweep DIR   open loop at rising rates; writes sweep.csv and sweep.svg;",
                "  --processes   broker, server and gateway each in its own JVM (combinable);",
                "  --cloud-only  the cloud leg through 1 or 2 server JVMs on one cloud broker.",
                "Last line: RESULT offered_per_s=<n> assignments_per_s=<n> p50_ms=<n>",
                "  p99_ms=<n> p999_ms=<n> errors=<n> ceiling_ratio=<n>",
                "(closed loop: offered_per_s is the rate the loop sent at)."})
public final class BenchCommand implements Callable<Integer>, LauncherCommand {
    @picocli.CommandLine.Mixin
    LogOptions logging = new LogOptions();

    @Option(names = "--duration", defaultValue = "60s", description = {"Measured time of the system, e.g. 60s, 2m (default",
            "${DEFAULT-VALUE}), in windows of --window, each after a ceiling window of the same length."})
    String duration;

    @Option(names = "--warmup", defaultValue = "30s", description = {"Warm-up before measuring (default ${DEFAULT-VALUE}: on two",
            "cores the JIT compiler takes a good part of the first half-minute)."})
    String warmup;

    @Option(names = "--ceiling-duration", defaultValue = "10s",
            description = "Warm-up of the echo ceiling, after the system's (default ${DEFAULT-VALUE}).")
    String ceilingDuration;

    @Option(names = "--window", defaultValue = "5s",
            description = "Length of each measured window; ceiling and system alternate (default ${DEFAULT-VALUE}).")
    String window;

    @Option(names = "--inflight", defaultValue = "512",
            description = "Closed loop: requests in flight; also the ceiling's load in every mode (default ${DEFAULT-VALUE}).")
    int inflight;

    @Option(names = "--rate", description = "Open loop: assignments offered per second, on a fixed schedule.")
    Double rate;

    @Option(names = "--max-outstanding", defaultValue = "20000", description = {"Open loop: a send due while this many",
            "requests are unanswered is not made and counts as an error (default ${DEFAULT-VALUE})."})
    int maxOutstanding;

    @Option(names = "--timeout", defaultValue = "30s",
            description = "A request not answered within this counts as an error (default ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--sweep", description = "Open loop at rising rates; writes sweep.csv and sweep.svg to this folder.")
    Path sweep;

    @Option(names = "--sweep-rates", split = ",", description = "The sweep's rates, e.g. 500,1000,2000 (instead of start/step/count).")
    List<Double> sweepRates;

    @Option(names = "--sweep-start", defaultValue = "1000", description = "The sweep's first rate (default ${DEFAULT-VALUE}).")
    double sweepStart;

    @Option(names = "--sweep-step", defaultValue = "1000", description = "The sweep's increase per step (default ${DEFAULT-VALUE}).")
    double sweepStep;

    @Option(names = "--sweep-count", defaultValue = "8", description = "The sweep's number of steps (default ${DEFAULT-VALUE}).")
    int sweepCount;

    @Option(names = "--step-duration", defaultValue = "20s",
            description = "The system's measured time per sweep step, in --window windows (default ${DEFAULT-VALUE}).")
    String stepDuration;

    @Option(names = "--ceiling-client", defaultValue = "hivemq", description = {"MQTT client of the echo relays:",
            "hivemq or vertx (the real gateway's and server's client), to cross-check the ceiling (default ${DEFAULT-VALUE})."})
    String ceilingClient;

    @Option(names = "--echo-servers", defaultValue = "1",
            description = "Echo servers sharing the Key Requests, as the real server's instances (default ${DEFAULT-VALUE}).")
    int echoServers;

    @Option(names = "--ceiling-probe", description = {"Before measuring, check the ceiling is one: one window each at more",
            "PNEs, more in flight, 2 echo servers and the other client; warn if one beats the run's settings by 10 %%."})
    boolean ceilingProbe;

    @Option(names = "--pnes", defaultValue = "64", description = "Simulated PNEs, one TLS connection each (default ${DEFAULT-VALUE}).")
    int pnes;

    @Option(names = "--gateway-instances", defaultValue = "1",
            description = "Gateway verticle instances (0 = one per core; default ${DEFAULT-VALUE}).")
    int gatewayInstances;

    @Option(names = "--data", description = "State folder (default: a new temporary folder, removed afterwards).")
    Path data;

    @Option(names = "--preload", defaultValue = "0",
            description = "EUKeys to store before measuring, to see the effect of a large store (default ${DEFAULT-VALUE}).")
    int preload;

    @Option(names = "--processes", description = {"Run the cloud broker, the server and the gateway as JVMs of their own",
            "(cpns broker|server|gateway), as a deployment would; this JVM is the load generator."})
    boolean processes;

    @Option(names = "--role-heap", defaultValue = "512m", description = "With --processes: -Xmx of each role's JVM (default ${DEFAULT-VALUE}).")
    String roleHeap;

    @Option(names = "--cloud-only",
            description = {"Measure the cloud leg only: a standalone cloud broker in this process, --servers CPNS Server",
                    "JVMs (cpns server --cluster --store postgres) on it, and --gateways simulated PN GWs sending",
                    "digest-answered proxy Key Requests straight to the broker (no PAN, no PNE)."})
    boolean cloudOnly;

    @Option(names = "--servers", defaultValue = "1", description = "With --cloud-only: server JVMs, clustered (default ${DEFAULT-VALUE}).")
    int servers;

    @Option(names = "--gateways", defaultValue = "16", description = "With --cloud-only: simulated PN GWs, one MQTT connection each (default ${DEFAULT-VALUE}).")
    int gateways;

    @Option(names = "--server-instances", defaultValue = "2",
            description = "With --cloud-only: request-handling verticles per server (cpns server --instances; default ${DEFAULT-VALUE}).")
    int serverInstances;

    @Option(names = "--server-heap", defaultValue = "512m", description = "With --cloud-only: -Xmx of each server JVM (default ${DEFAULT-VALUE}).")
    String serverHeap;

    @Option(names = "--server-cpus", defaultValue = "0", description = {"With --cloud-only: the processors each server"
            + " JVM sizes itself for (-XX:ActiveProcessorCount: event loops, GC and compiler threads), as a CPU limit",
            "of its container would; 0 (default): all of this machine's."})
    int serverCpus;

    @Option(names = "--pg-url", defaultValue = "${env:CPNS_PG_URL}",
            description = "With --cloud-only: the servers' PostgreSQL store, postgresql://user@host:port/database (env CPNS_PG_URL).")
    String pgUrl;

    @Option(names = "--pg-password-file", defaultValue = "${env:CPNS_PG_PASSWORD_FILE}",
            description = "With --cloud-only: file holding the PostgreSQL password (env CPNS_PG_PASSWORD_FILE).")
    Path pgPasswordFile;

    @Option(names = "--pg-pool-size", defaultValue = "8",
            description = "With --cloud-only: PostgreSQL connections of each server (cpns server --pg-pool-size; default ${DEFAULT-VALUE}).")
    int pgPoolSize;

    @Option(names = "--pg-ssl-mode", defaultValue = "${env:CPNS_PG_SSL_MODE}",
            description = "With --cloud-only: the servers' PostgreSQL TLS (cpns server --pg-ssl-mode; env CPNS_PG_SSL_MODE).")
    String pgSslMode;

    @Option(names = "--pg-ca-file", defaultValue = "${env:CPNS_PG_CA_FILE}",
            description = "With --cloud-only: CA of the PostgreSQL server's certificate (cpns server --pg-ca-file; env CPNS_PG_CA_FILE).")
    Path pgCaFile;

    @Option(names = "--no-cluster",
            description = "With --cloud-only: run the servers without --cluster (no Hazelcast; they share only the store), to see what the cluster costs.")
    boolean noCluster;

    @Override
    public Integer call() throws Exception {
        quietLogs();
        if (inflight < 1 || pnes < 1) {
            throw new IllegalArgumentException("--inflight and --pnes must be positive");
        }
        final boolean temporary = data == null;
        final Path dir = temporary ? Files.createTempDirectory("cpns-bench-") : data;
        try {
            if (cloudOnly) {
                return new CloudLegBench(this, dir).run(parse(duration), parse(warmup), parse(ceilingDuration));
            }
            return processes ? new ProcessBench(this, dir).run() : new SystemBench(this, dir).run();
        } finally {
            if (temporary) {
                delete(dir);
            }
        }
    }

    EchoClient ceilingClient() {
        return EchoClient.of(ceilingClient);
    }

    /** The rates of {@code --sweep}: the list given, or start, start + step, ... (count of them). */
    List<Double> sweepRates() {
        return Sweep.rates(sweepRates, sweepStart, sweepStep, sweepCount);
    }

    private static void delete(final Path dir) throws java.io.IOException {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** The heap the old generation holds after its last collection: what stays, not what is in flight. */
    static long oldGenAfterGcMiB() {
        for (final java.lang.management.MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getName().contains("Old Gen") && pool.getCollectionUsage() != null) {
                return pool.getCollectionUsage().getUsed() >> 20;
            }
        }
        return -1;
    }

    /**
     * The sequential drive of {@code --cloud-only}: {@code warm} unmeasured, then {@code measure} measured, both
     * closed loop at {@code --inflight}, running {@code atMeasureStart} when the warm-up ends.
     */
    Run drive(final Requester requester, final Duration warm, final Duration measure, final int expected,
            final Runnable atMeasureStart) throws InterruptedException {
        final Interleaved windows = new Interleaved(measure, Duration.ZERO, parse(timeout), Duration.ofMillis(10));
        final Interleaved.Leg leg = new Interleaved.Leg("load", requester, new ClosedLoop(inflight, LoadClock.SYSTEM), expected);
        windows.once(leg, warm, false);
        atMeasureStart.run();
        return windows.once(leg, measure, true);
    }

    Run drive(final Requester requester, final Duration warm, final Duration measure, final int expected)
            throws InterruptedException {
        return drive(requester, warm, measure, expected, () -> { });
    }

    static long cpuNanos() {
        final java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean s ? s.getProcessCpuTime() : 0;
    }

    static double ms(final Histogram h, final double percentile) {
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1e6;
    }

    static Duration parse(final String s) {
        final String t = s.trim().toLowerCase(java.util.Locale.ROOT);
        if (t.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
        }
        if (t.endsWith("s")) {
            return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
        }
        if (t.endsWith("m")) {
            return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
        }
        return Duration.parse(s);
    }

    /** Per-request step logs would dominate the measurement: keep warnings only. */
    static void quietLogs() {
        if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx) {
            ctx.getLogger("org.cpnskeys").setLevel(Level.WARN);
        }
    }
}
