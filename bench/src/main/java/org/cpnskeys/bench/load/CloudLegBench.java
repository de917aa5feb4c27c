package org.cpnskeys.bench.load;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;

import org.HdrHistogram.Histogram;

import org.cpnskeys.deploy.BrokerCommand;
import org.cpnskeys.deploy.HiveMqClientTls;
import org.cpnskeys.deploy.ServerProcess;
import org.cpnskeys.broker.CloudTlsOptions;
import org.cpnskeys.broker.EmbeddedBroker;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.Topics;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.SecretFiles;
import org.cpnskeys.server.GatewayRegistry;
import org.cpnskeys.server.ServerApplication;
import org.cpnskeys.server.ServerConfig;
import org.cpnskeys.server.auth.HtdigestFile;
import org.cpnskeys.server.store.PgStoreConfig;
import org.cpnskeys.server.store.PgTls;

/**
 * {@code cpns bench --cloud-only}: the cloud leg alone, against 1 or N CPNS Servers. A standalone cloud broker
 * runs in this process; N {@code cpns server --cluster --store postgres} JVMs (even N = 1, so that 1 and 2
 * differ only in the number of servers; {@code --no-cluster} runs them without Hazelcast, to see what the
 * cluster costs: servers need no cluster to share one store, whose database holds single use and failure counts)
 * consume its shared subscription; simulated PN GWs
 * ({@link SimulatedGateways}) send digest-answered proxy Key Requests closed-loop, each with a new request ID
 * (a new durable EUKey that supersedes the slot entity's previous one), and open every wrapped key. The
 * ceiling is measured first on the same broker with an echo "server" that refuses every request at once: one
 * cloud round trip, which is also what a steady-state assignment costs (the gateway reuses its nonce).
 * The MQTT clients are hivemq-mqtt-client's, for the reason given on {@link SimulatedGateways}.
 */
final class CloudLegBench {
    private static final String USER = "bench";

    private final BenchCommand options;
    private final Path dir;

    CloudLegBench(final BenchCommand options, final Path dir) {
        this.options = options;
        this.dir = dir;
    }

    int run(final Duration measure, final Duration warm, final Duration ceilingTime) throws Exception {
        if (options.servers < 1 || options.gateways < 1) {
            throw new IllegalArgumentException("--servers and --gateways must be positive");
        }
        if (options.pgUrl == null) {
            throw new IllegalArgumentException("--cloud-only needs the servers' PostgreSQL store: --pg-url (and"
                    + " --pg-password-file); see docs/PERFORMANCE.md");
        }
        // the servers would refuse a plain link to a remote store at start; say so before starting anything
        PgTls.choose(PgStoreConfig.fromUrl(options.pgUrl, Optional.empty(), 1).host(),
                Optional.ofNullable(options.pgSslMode).filter(m -> !m.isBlank()).map(PgTls.Mode::of),
                Optional.ofNullable(options.pgCaFile));
        BenchCommand.quietLogs();
        final String password = HexFormat.of().formatHex(random(12));
        final Path users = dir.resolve("users.htdigest");
        HtdigestFile.addOrReplace(users, UserId.of(USER), ServerConfig.DEFAULT_REALM, password.toCharArray());
        final Path shared = SecretFiles.ownerOnlyDirectory(dir.resolve("shared-secrets"));
        SecretFiles.loadOrCreate(shared.resolve(ServerConfig.MASTER_KEY_FILE), 32).destroy();
        SecretFiles.loadOrCreate(shared.resolve(ServerConfig.NONCE_KEY_FILE), 32).destroy();
        final String brokerSecret = HexFormat.of().formatHex(random(24));
        final Path brokerSecretFile = dir.resolve("broker-server.secret");
        Files.writeString(brokerSecretFile, brokerSecret, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(brokerSecretFile, PosixFilePermissions.fromString("rw-------"));
        final GatewayRegistry registry = GatewayRegistry.open(dir.resolve("gateways"));
        final List<SimulatedGateways.Login> logins = new ArrayList<>();
        for (int g = 0; g < options.gateways; g++) {
            final GatewayId id = GatewayId.of("bench-gw-" + g);
            logins.add(new SimulatedGateways.Login(id, registry.register(id)));
        }
        final BrokerCommand.CloudBroker cloud = BrokerCommand.cloudBroker(dir.resolve("broker"), "127.0.0.1", 0,
                brokerSecret, registry, CloudTlsOptions.generated(List.of()));
        final EmbeddedBroker broker = cloud.broker();
        broker.start().get(2, TimeUnit.MINUTES);
        final String caPem = cloud.caPem().orElseThrow();
        final Path caFile = dir.resolve("cloud-ca.pem");
        Files.writeString(caFile, caPem, StandardCharsets.US_ASCII);
        final List<ServerProcess> servers = new ArrayList<>();
        final SimulatedGateways.Settings settings = new SimulatedGateways.Settings("127.0.0.1", cloud.port(),
                UserId.of(USER), ServerConfig.DEFAULT_REALM,
                DigestClient.ha1(USER, ServerConfig.DEFAULT_REALM, password.toCharArray()), Duration.ofSeconds(30), 1,
                Optional.of(caPem));
        try (SimulatedGateways gws = SimulatedGateways.connect(settings, logins)) {
            System.out.printf("bench --cloud-only: %d server JVM(s) (%d verticles, %d PostgreSQL connections each), %d gateways,"
                    + " %d in flight, warm-up %s, measure %s; load average before: %s%n", options.servers,
                    options.serverInstances, options.pgPoolSize, options.gateways, options.inflight, warm, measure,
                    Measurement.loadAverage());
            final Run ceiling;
            try (AutoCloseable echo = echo(cloud.port(), brokerSecret, caPem)) {
                ceiling = options.drive(requester(gws), Duration.ofSeconds(2), ceilingTime, Status.FORBIDDEN);
            }
            System.out.printf("ceiling: %.0f cloud round trips/s (echo server on the same broker), p50 %.2f ms, p99 %.2f ms%n",
                    ceiling.perSecond(), BenchCommand.ms(ceiling.latency(), 50), BenchCommand.ms(ceiling.latency(), 99));
            startServers(servers, cloud.port(), caFile, brokerSecretFile, users, shared);
            final long[] cpu0 = serverCpu(servers);
            final long t0 = System.nanoTime();
            final long[][] cpuAtMeasure = new long[1][];
            final Run run = options.drive(requester(gws), warm, measure, Status.OK,
                    () -> cpuAtMeasure[0] = serverCpu(servers));
            final double wall = (System.nanoTime() - t0) / 1e9;
            final long[] cpu1 = serverCpu(servers);
            final Histogram h = run.latency();
            System.out.printf("assignments: %.0f/s over %s; latency ms p50 %.2f p90 %.2f p99 %.2f p99.9 %.2f max %.2f%n",
                    run.perSecond(), measure, BenchCommand.ms(h, 50), BenchCommand.ms(h, 90), BenchCommand.ms(h, 99),
                    BenchCommand.ms(h, 99.9), h.getMaxValue() / 1e6);
            final StringBuilder perServer = new StringBuilder();
            for (int i = 0; i < servers.size(); i++) {
                perServer.append(String.format(" %s %.0f%%", servers.get(i).name(),
                        (cpu1[i] - cpu0[i]) / 1e9 / wall * 100));
            }
            System.out.printf("statuses %s; errors %d; CPU (of one core, warm-up and measure):%s; this process"
                    + " (broker + gateways) %.0f%% of %d cores; retries %d; load average after: %s%n", run.statuses(),
                    run.errors(), perServer, run.cpu() * 100, Runtime.getRuntime().availableProcessors(), gws.retries(),
                    Measurement.loadAverage());
            long measuredCpu = 0;
            for (int i = 0; i < servers.size(); i++) {
                measuredCpu += cpu1[i] - cpuAtMeasure[0][i];
            }
            final double assignments = run.perSecond() * measure.toNanos() / 1e9;
            System.out.printf("server CPU per assignment (all servers, measured window only): %.3f ms%n",
                    assignments > 0 ? measuredCpu / 1e6 / assignments : 0.0);
            final double ratio = ceiling.perSecond() > 0 ? run.perSecond() / ceiling.perSecond() : 0;
            System.out.println(Report.result(run, ratio));
            return run.errors() == 0 ? 0 : 1;
        } finally {
            for (final ServerProcess s : servers) {
                s.stop(Duration.ofSeconds(20));
            }
            broker.stop().get(1, TimeUnit.MINUTES);
        }
    }

    /** Slot i is gateway i mod G with its own entity, so no two requests for one entity are ever under way. */
    private static Requester requester(final SimulatedGateways gws) {
        return (slot, id) -> gws.assign(slot % gws.size(), EntityId.of("cloud-bench-" + slot), id)
                .thenApply(SimulatedGateways.Outcome::status);
    }

    private void startServers(final List<ServerProcess> servers, final int brokerPort, final Path brokerCa,
            final Path brokerSecretFile,
            final Path users, final Path shared) throws IOException, InterruptedException {
        final List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < options.servers; i++) {
            ports.add(freePort());
        }
        final String members = String.join(",", ports.stream().map(p -> "127.0.0.1:" + p).toList());
        for (int i = 0; i < options.servers; i++) {
            final String name = "server-" + (i + 1);
            final List<String> args = new ArrayList<>(List.of("--data", dir.resolve(name).toString(),
                    "--users", users.toString(), "--instances", Integer.toString(options.serverInstances),
                    "--broker-host", "127.0.0.1", "--broker-port", Integer.toString(brokerPort),
                    "--broker-ca", brokerCa.toString(),
                    "--broker-secret-file", brokerSecretFile.toString(), "--store", "postgres",
                    "--pg-url", options.pgUrl, "--pg-pool-size", Integer.toString(options.pgPoolSize), "--shared-secrets", shared.toString(),
                    "--management-port", "-1", "--admin-port", "-1"));
            if (!options.noCluster) {
                args.addAll(List.of("--cluster", "--cluster-port", Integer.toString(ports.get(i)), "--cluster-members",
                        members));
            }
            if (options.pgPasswordFile != null) {
                args.addAll(List.of("--pg-password-file", options.pgPasswordFile.toString()));
            }
            if (options.pgSslMode != null && !options.pgSslMode.isBlank()) {
                args.addAll(List.of("--pg-ssl-mode", options.pgSslMode));
            }
            if (options.pgCaFile != null) {
                args.addAll(List.of("--pg-ca-file", options.pgCaFile.toString()));
            }
            // one after the other, so each joins the cluster the first formed
            servers.add(ServerProcess.start(name, System.getProperty("java.class.path"),
                    jvmOptions(), args, dir.resolve(name + ".log"), Duration.ofMinutes(2)));
            System.out.printf("%s ready (pid %d)%n", name, servers.get(i).pid());
        }
    }

    /** The server JVMs' options: the heap, and the processors each may size itself for when given. */
    private List<String> jvmOptions() {
        final List<String> jvm = new ArrayList<>(List.of("-Xmx" + options.serverHeap));
        if (options.serverCpus > 0) {
            jvm.add("-XX:ActiveProcessorCount=" + options.serverCpus);
        }
        return jvm;
    }

    /** Each process's CPU time so far, in nanoseconds (0 where the system does not say). */
    static long[] serverCpu(final List<ServerProcess> servers) {
        final long[] cpu = new long[servers.size()];
        for (int i = 0; i < cpu.length; i++) {
            cpu[i] = ProcessHandle.of(servers.get(i).pid()).flatMap(h -> h.info().totalCpuDuration())
                    .map(Duration::toNanos).orElse(0L);
        }
        return cpu;
    }

    /**
     * A stand-in server on the broker (same login, same shared subscription) that answers every Key Request at
     * once with a 403: one cloud round trip without any server work.
     */
    private static AutoCloseable echo(final int port, final String secret, final String caPem) throws Exception {
        final MessageCodec codec = new MessageCodec();
        final Mqtt5AsyncClient c = MqttClient.builder().useMqttVersion5().identifier("cpns-server-echo")
                .serverHost("127.0.0.1").serverPort(port).sslConfig(HiveMqClientTls.trusting(caPem))
                .simpleAuth().username(ServerApplication.BROKER_USER)
                .password(secret.getBytes(StandardCharsets.UTF_8)).applySimpleAuth().buildAsync();
        c.connectWith().restrictions().receiveMaximum(65535).applyRestrictions().send().get(20, TimeUnit.SECONDS);
        c.subscribeWith().topicFilter(Topics.cloudKeyRequestSharedFilter()).qos(MqttQos.AT_LEAST_ONCE).callback(p -> {
            final KeyRequest r = (KeyRequest) codec.decode(p.getPayloadAsBytes());
            final Topics.CloudTopic from = Topics.parseCloud(p.getTopic().toString()).orElseThrow();
            c.publishWith().topic(Topics.cloud(from.gatewayId(), from.instance(), Topics.KEY_DELIVERY)).qos(MqttQos.AT_LEAST_ONCE)
                    .payload(codec.encode(KeyDelivery.refused(r.requestId(), r.entityId(), Status.FORBIDDEN, "echo"))
                            .getBytes()).send();
        }).send().get(20, TimeUnit.SECONDS);
        return () -> c.disconnect().get(10, TimeUnit.SECONDS);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static byte[] random(final int n) {
        final byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }
}
