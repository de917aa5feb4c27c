package org.cpnskeys.bench.load;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.deploy.Cli;
import org.cpnskeys.deploy.LauncherCommand;
import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.deploy.LogOptions;
import org.cpnskeys.gateway.approval.RuleBasedApproval;
import org.cpnskeys.protocol.tls.IssuedIdentity;
import org.cpnskeys.deploy.fleet.PneFleet;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.Status;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cpns bench}: the load generator. Runs the whole system in this process (cloud broker, server with the
 * durable SQLite store, gateway with its TLS PAN broker, approval by rule), first measures the messaging
 * ceiling through brokers configured the same way (two QoS-1 round trips per request: PAN and cloud, same
 * TLS, same concurrency), then drives N PNEs with M proxy Key Requests in flight and reports throughput,
 * latency percentiles (HdrHistogram), errors by status, CPU and heap. Each request has a new request ID, so
 * each is a real durable assignment (a PNE's new key supersedes its previous one).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Load generator: proxy EUKey assignments through the whole system in this process, or (--cloud-only)",
                "through 1 or 2 server JVMs on one cloud broker.",
                "Last line: RESULT assignments_per_s=<n> p50_ms=<n> p99_ms=<n> errors=<n> ceiling_ratio=<n>"})
public final class BenchCommand implements Callable<Integer>, LauncherCommand {
    @picocli.CommandLine.Mixin
    LogOptions logging = new LogOptions();

    @Option(names = "--duration", defaultValue = "60s", description = "Measured time, e.g. 60s, 2m (default ${DEFAULT-VALUE}).")
    String duration;

    @Option(names = "--warmup", defaultValue = "30s", description = {"Warm-up before measuring (default ${DEFAULT-VALUE}: on two",
            "cores the JIT compiler takes a good part of the first half-minute)."})
    String warmup;

    @Option(names = "--ceiling-duration", defaultValue = "10s", description = "Time to measure the messaging ceiling (default ${DEFAULT-VALUE}).")
    String ceilingDuration;

    @Option(names = "--inflight", defaultValue = "512", description = "Requests in flight (default ${DEFAULT-VALUE}).")
    int inflight;

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

    record Run(double perSecond, Histogram latency, Map<Integer, Long> statuses, long errors, double cpu) {
    }

    @Override
    public Integer call() throws Exception {
        quietLogs();
        final Duration measure = parse(duration);
        final Duration warm = parse(warmup);
        final Duration ceilingTime = parse(ceilingDuration);
        if (inflight < 1 || pnes < 1) {
            throw new IllegalArgumentException("--inflight and --pnes must be positive");
        }
        final boolean temporary = data == null;
        final Path dir = temporary ? Files.createTempDirectory("cpns-bench-") : data;
        if (cloudOnly) {
            try {
                return new CloudLegBench(this, dir).run(measure, warm, ceilingTime);
            } finally {
                if (temporary) {
                    delete(dir);
                }
            }
        }
        final Vertx vertx = Cli.newVertx();
        LocalSystem system = null;
        String result = null;
        try {
            system = Cli.await(LocalSystem.start(vertx, dir, LocalSystem.Options.defaults()
                    .withGatewayConfig(c -> c.withInstances(gatewayInstances)), RuleBasedApproval.parse("allow:*"),
                    (realm, why) -> Future.succeededFuture(Optional.empty())), "starting the system", Duration.ofMinutes(2));
            final List<PneFleet.Member> members = new ArrayList<>();
            for (int i = 0; i < pnes; i++) {
                final EntityId e = EntityId.of("bench-" + i);
                final IssuedIdentity id = system.gateway().enroll(e);
                final char[] pw = "bench".toCharArray();
                members.add(new PneFleet.Member(e, id.toPkcs12(pw), pw));
            }
            preload(system);
            final String caPem = system.gateway().certificateAuthority().caCertificatePem();
            System.out.printf("bench: %d PNEs, %d in flight, warm-up %s, measure %s, %s transport, Java %s, collectors %s%n",
                    pnes, inflight, warm, measure, vertx.isNativeTransportEnabled() ? "native (epoll)" : "NIO",
                    Runtime.version(), ManagementFactory.getGarbageCollectorMXBeans().stream()
                            .map(GarbageCollectorMXBean::getName).toList());

            final Run ceiling;
            try (EchoBrokers echo = EchoBrokers.start(Files.createDirectories(dir.resolve("echo")),
                    system.gateway().certificateAuthority());
                    PneFleet fleet = PneFleet.connect("localhost", echo.panTlsPort(), caPem, members)) {
                ceiling = drive(fleet, Duration.ofSeconds(2), ceilingTime, Status.UNAVAILABLE);
            }
            System.out.printf("ceiling: %.0f request/response pairs/s (PAN + cloud round trip each), p50 %.2f ms, p99 %.2f ms%n",
                    ceiling.perSecond(), ms(ceiling.latency(), 50), ms(ceiling.latency(), 99));

            final Run run;
            try (PneFleet fleet = PneFleet.connect("localhost", system.panPort(), caPem, members)
                    .recordKeyCheckValues(false)) {
                run = drive(fleet, warm, measure, Status.OK);
            }
            final Histogram h = run.latency();
            System.out.printf("assignments: %.0f/s over %s; latency ms p50 %.2f p90 %.2f p99 %.2f p99.9 %.2f max %.2f%n",
                    run.perSecond(), measure, ms(h, 50), ms(h, 90), ms(h, 99), ms(h, 99.9), h.getMaxValue() / 1e6);
            System.out.printf("statuses %s; errors %d; process CPU %.0f%% of %d cores; heap used %d MiB, old generation after GC %d MiB%n",
                    run.statuses(), run.errors(), run.cpu() * 100, Runtime.getRuntime().availableProcessors(),
                    ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20, oldGenAfterGcMiB());
            final double ratio = ceiling.perSecond() > 0 ? run.perSecond() / ceiling.perSecond() : 0;
            // printed after the system stopped, so that nothing it logs while stopping follows the RESULT line
            result = String.format(java.util.Locale.ROOT,
                    "RESULT assignments_per_s=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d ceiling_ratio=%.2f",
                    run.perSecond(), ms(h, 50), ms(h, 99), run.errors(), ratio);
            return run.errors() == 0 ? 0 : 1;
        } finally {
            if (system != null) {
                Cli.await(system.stop(), "stopping");
            }
            Cli.await(vertx.close(), "closing");
            if (temporary) {
                delete(dir);
            }
            if (result != null) {
                System.out.flush();
                System.err.flush();
                System.out.println(result);
            }
        }
    }

    private static void delete(final Path dir) throws java.io.IOException {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /**
     * Stores {@code --preload} keys (as the server would: sealed blobs with entity, user, request, key id) as the
     * past keys of the bench's own PNEs, spread over them: the worst case for the per-entity look-ups of every
     * assignment that follows (each PNE starts with a history of preload / PNEs superseded keys).
     */
    private void preload(final LocalSystem system) {
        if (preload <= 0) {
            return;
        }
        final long t0 = System.nanoTime();
        final int batch = 1000;
        for (int done = 0; done < preload; done += batch) {
            final List<Future<?>> all = new ArrayList<>();
            for (int i = done; i < Math.min(preload, done + batch); i++) {
                final byte[] sealed = new byte[60];
                java.util.concurrent.ThreadLocalRandom.current().nextBytes(sealed);
                all.add(system.server().store().assign(new org.cpnskeys.server.store.NewKey(EntityId.of("bench-" + i % pnes),
                        system.user(), org.cpnskeys.protocol.GatewayId.of("home-gw"), RequestId.of("preload-" + i),
                        org.cpnskeys.protocol.KeyId.of("preload-" + i), true, sealed,
                        org.cpnskeys.server.seal.MasterKeySeal.V2, java.time.Instant.now()),
                        // each preloaded key authorised by its own (nonce, nc) pair, as an assignment's is
                        new org.cpnskeys.server.store.DigestUse(new byte[40], i + 1L, java.time.Instant.now().plusSeconds(300)),
                        org.cpnskeys.server.store.Admission.ANY));
            }
            Cli.await(Future.all(all), "preloading the store", Duration.ofMinutes(5));
        }
        System.out.printf("preloaded %d EUKeys in %.1f s%n", preload, (System.nanoTime() - t0) / 1e9);
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

    /** One request of a closed loop: slot {@code slot} sends request {@code id}; completes with the status. */
    @FunctionalInterface
    interface Requester {
        CompletableFuture<Integer> request(int slot, RequestId id);
    }

    /** Closed loop over a PNE fleet: each slot is one PNE (round robin), 30 s per answer at most. */
    private Run drive(final PneFleet fleet, final Duration warm, final Duration measure, final int expected)
            throws InterruptedException {
        return drive((slot, id) -> {
            final int member = slot % fleet.size();
            return fleet.requestKey(member, id).orTimeout(30, TimeUnit.SECONDS).whenComplete((s, e) -> {
                if (e != null) {
                    fleet.forget(member, id);
                }
            });
        }, warm, measure, expected);
    }

    /** Closed loop: {@code inflight} slots each send, wait for the answer, send again. */
    Run drive(final Requester requester, final Duration warm, final Duration measure, final int expected)
            throws InterruptedException {
        return drive(requester, warm, measure, expected, () -> { });
    }

    /** As {@link #drive(Requester, Duration, Duration, int)}, running {@code atMeasureStart} when the warm-up ends. */
    Run drive(final Requester requester, final Duration warm, final Duration measure, final int expected,
            final Runnable atMeasureStart) throws InterruptedException {
        final Recorder recorder = new Recorder(3);
        final AtomicBoolean measuring = new AtomicBoolean();
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicLong done = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        final Map<Integer, AtomicLong> statuses = new java.util.concurrent.ConcurrentHashMap<>();
        final AtomicLong seq = new AtomicLong();
        final String run = Long.toString(System.nanoTime(), 36);
        for (int slot = 0; slot < inflight; slot++) {
            next(requester, slot, run, seq, recorder, measuring, running, done, errors, statuses, expected);
        }
        TimeUnit.NANOSECONDS.sleep(warm.toNanos());
        recorder.reset();
        done.set(0);
        errors.set(0);
        statuses.clear();
        atMeasureStart.run();
        final long cpu0 = cpuNanos();
        final long t0 = System.nanoTime();
        measuring.set(true);
        final long end = t0 + measure.toNanos();
        while (System.nanoTime() < end) {
            TimeUnit.NANOSECONDS.sleep(Math.min(30_000_000_000L, end - System.nanoTime()));
            if (System.nanoTime() < end) {
                System.out.printf("  %3.0f s: %d done, old generation after GC %d MiB%n", (System.nanoTime() - t0) / 1e9,
                        done.get(), oldGenAfterGcMiB());
            }
        }
        measuring.set(false);
        final long elapsed = System.nanoTime() - t0;
        final long cpu = cpuNanos() - cpu0;
        running.set(false);
        final Map<Integer, Long> byStatus = new TreeMap<>();
        statuses.forEach((k, v) -> byStatus.put(k, v.get()));
        return new Run(done.get() * 1e9 / elapsed, recorder.getIntervalHistogram(), byStatus, errors.get(),
                (double) cpu / elapsed / Runtime.getRuntime().availableProcessors());
    }

    private static void next(final Requester requester, final int slot, final String run, final AtomicLong seq,
            final Recorder recorder, final AtomicBoolean measuring, final AtomicBoolean running, final AtomicLong done,
            final AtomicLong errors, final Map<Integer, AtomicLong> statuses, final int expected) {
        if (!running.get()) {
            return;
        }
        final RequestId id = RequestId.of("b" + run + "-" + seq.incrementAndGet());
        final long start = System.nanoTime();
        requester.request(slot, id).whenComplete((status, e) -> {
            if (measuring.get()) {
                final int s = e == null ? status : -1;
                statuses.computeIfAbsent(s, k -> new AtomicLong()).incrementAndGet();
                if (s == expected) {
                    recorder.recordValue(Math.max(1, System.nanoTime() - start));
                    done.incrementAndGet();
                } else {
                    errors.incrementAndGet();
                }
            }
            next(requester, slot, run, seq, recorder, measuring, running, done, errors, statuses, expected);
        });
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
