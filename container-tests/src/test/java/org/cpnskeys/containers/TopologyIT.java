package org.cpnskeys.containers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.github.dockerjava.api.DockerClient;

import io.vertx.core.Vertx;

import org.cpnskeys.broker.CloudTls;
import org.cpnskeys.gateway.credentials.GatewayCredentials;
import org.cpnskeys.protocol.tls.CertificateAuthority;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.SecretFiles;
import org.cpnskeys.server.GatewayRegistry;
import org.cpnskeys.server.ServerApplication;
import org.cpnskeys.server.ServerConfig;
import org.cpnskeys.server.auth.HtdigestFile;
import org.cpnskeys.server.store.KeyInfo;
import org.cpnskeys.server.store.KeyState;
import org.cpnskeys.server.store.PgStoreConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.containers.startupcheck.StartupCheckStrategy;
import org.testcontainers.lifecycle.Startables;

/**
 * P7 and P9: the whole system as containers on one Testcontainers network, every role from the cpns-keys image
 * (the {@code cpns} launcher, the command picks the role): our cloud broker, two CPNS Servers clustered with
 * Hazelcast (members by network alias, master and nonce keys shared as mounted files) on one PostgreSQL in a
 * container, a PN GW, and PNEs each a {@code cpns pne} container holding the PAN identity the gateway container
 * enrolled ({@code cpns gateway enroll}, files copied out of it). One server container is killed in the middle
 * of a batch; every PNE still ends with its EUKey, equal to the stored one, and every entity has one active key.
 * The containers are started once for the class; the test reads the store through PostgreSQL's mapped port.
 */
@Timeout(value = 420, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@RequiresDocker
class TopologyIT {
    private static final String USER = "alice";
    private static final String REALM = ServerConfig.DEFAULT_REALM;
    private static final String GATEWAY = "home-gw";
    private static final Pattern STORED = Pattern.compile("EUKey (\\S+) stored in \\S+ \\(check value (\\S+)\\)");
    /** The PNEs are separate JVMs: small heaps, quick start (C1 only). */
    private static final int WAVE = 2;
    private static final String PNE_JAVA_OPTIONS = "-Xmx64m -XX:TieredStopAtLevel=1";

    @TempDir
    static Path dir;
    /** The cloud CA's certificate: the servers' --broker-ca and the gateway's --cloud-ca. */
    static byte[] caPem;
    static Network network;
    static GenericContainer<?> postgres;
    static GenericContainer<?> broker;
    static GenericContainer<?> serverA;
    static GenericContainer<?> serverB;
    static GenericContainer<?> gateway;
    static final List<GenericContainer<?>> pnes = new ArrayList<>();
    static Vertx vertx;
    /** A server in this JVM on the same database and shared keys, serving no one: it reads the store. */
    static ServerApplication checker;

    @BeforeAll
    static void start() throws Exception {
        network = Network.newNetwork();
        // secrets, generated here for this run only
        final String pgPassword = Images.randomSecret();
        final String serverBrokerSecret = Images.randomSecret();
        final char[] userPassword = Images.randomSecret().toCharArray();
        final Path shared = SecretFiles.ownerOnlyDirectory(dir.resolve("shared"));
        SecretFiles.loadOrCreate(shared.resolve(ServerConfig.MASTER_KEY_FILE), 32).destroy();
        SecretFiles.loadOrCreate(shared.resolve(ServerConfig.NONCE_KEY_FILE), 32).destroy();
        final Path users = dir.resolve("users.htdigest");
        HtdigestFile.addOrReplace(users, UserId.of(USER), REALM, userPassword);
        final Path registry = dir.resolve("gateways");
        final String gatewayToken = GatewayRegistry.open(registry).register(GatewayId.of(GATEWAY));
        // F0: the user's ID and password configured in the PN GW (HA1 only), before it starts
        final Path credentials = dir.resolve("credentials");
        GatewayCredentials.open(credentials).set(UserId.of(USER), REALM, userPassword);

        postgres = new GenericContainer<>(Images.POSTGRES).withNetwork(network).withNetworkAliases("postgres")
                .withEnv("POSTGRES_USER", "cpns").withEnv("POSTGRES_DB", "cpns")
                // the official image's _FILE convention: the password never in the container's environment
                .withEnv("POSTGRES_PASSWORD_FILE", "/run/secrets/pg.password")
                .withCopyToContainer(Images.ownedByCpns(utf8(pgPassword)), "/run/secrets/pg.password")
                .withExposedPorts(5432)
                // only the final server listens on TCP (the official image's init server listens on a socket only)
                .waitingFor(Wait.forLogMessage(".*listening on IPv4 address \"0.0.0.0\", port 5432.*", 1)
                        .withStartupTimeout(Duration.ofSeconds(90)));
        // the cloud leg over TLS: a cloud CA made here; the broker's certificate for "broker" comes from it
        final CertificateAuthority cloudCa = CloudTls.cloudCa(dir);
        caPem = cloudCa.caCertificatePem().getBytes(StandardCharsets.US_ASCII);
        final Path caFolder = dir.resolve(CloudTls.CA_FOLDER);
        broker = new GenericContainer<>(Images.CPNS).withNetwork(network).withNetworkAliases("broker")
                .withCommand("broker", "--bind", "0.0.0.0", "--port", "1883", "--data", "/data/broker",
                        "--tls-name", "broker", "--cloud-ca-folder", "/data/cfg/cloud-ca",
                        "--server-secret-file", "/data/cfg/server.secret", "--gateways", "/data/cfg/gateways")
                .withCopyToContainer(Images.ownedByCpns(Files.readAllBytes(caFolder.resolve(
                        CloudTls.CA_LAYOUT.keyFile()))), "/data/cfg/cloud-ca/" + CloudTls.CA_LAYOUT.keyFile())
                .withCopyToContainer(Images.ownedByCpns(caPem), "/data/cfg/cloud-ca/" + CloudTls.CA_LAYOUT.certificateFile())
                .withCopyToContainer(Images.ownedByCpns(utf8(serverBrokerSecret)), "/data/cfg/server.secret")
                .withCopyToContainer(Images.ownedByCpns(Files.readAllBytes(registry)), "/data/cfg/gateways")
                .waitingFor(Wait.forLogMessage(".*cloud broker listening on.*", 1).withStartupTimeout(Duration.ofSeconds(120)));
        Startables.deepStart(postgres, broker).join();

        serverA = server("server-a", shared, users, serverBrokerSecret, pgPassword);
        serverB = server("server-b", shared, users, serverBrokerSecret, pgPassword);
        gateway = new GenericContainer<>(Images.CPNS).withNetwork(network).withNetworkAliases("gateway")
                .withCommand("gateway", "--id", GATEWAY, "--data", "/data/gateway", "--pan-bind", "0.0.0.0",
                        "--pan-port", "8883", "--pan-host", "gateway", "--cloud-host", "broker", "--cloud-port", "1883",
                        "--cloud-token-file", "/data/cfg/gateway.token", "--cloud-ca", "/data/cfg/cloud-ca.pem",
                        "--approve", "allow:*", "--management-port", "-1")
                .withCopyToContainer(Images.ownedByCpns(utf8(gatewayToken)), "/data/cfg/gateway.token")
                .withCopyToContainer(Images.ownedByCpns(caPem), "/data/cfg/cloud-ca.pem")
                .withCopyToContainer(Images.ownedByCpns(Files.readAllBytes(credentials)), "/data/gateway/credentials")
                .waitingFor(Wait.forLogMessage(".*PAN CA fingerprint.*", 1).withStartupTimeout(Duration.ofSeconds(120)));
        Startables.deepStart(serverA, serverB, gateway).join();

        vertx = Vertx.vertx();
        checker = CloudSupport.await(ServerApplication.start(vertx, ServerConfig.defaults(dir.resolve("checker"), 0)
                .withPostgres(new PgStoreConfig(postgres.getHost(), postgres.getMappedPort(5432), "cpns", "cpns",
                        Optional.of(pgPassword), 2))
                .withSharedSecrets(shared).withHtdigestFile(users)));
    }

    private static GenericContainer<?> server(final String alias, final Path shared, final Path users,
            final String brokerSecret, final String pgPassword) throws Exception {
        return new GenericContainer<>(Images.CPNS).withNetwork(network).withNetworkAliases(alias)
                .withCommand("server", "--data", "/data/server", "--users", "/data/cfg/users.htdigest",
                        "--broker-host", "broker", "--broker-port", "1883", "--broker-ca", "/data/cfg/cloud-ca.pem",
                        "--broker-secret-file", "/data/cfg/server.secret",
                        "--store", "postgres", "--pg-host", "postgres", "--pg-port", "5432", "--pg-database", "cpns",
                        "--pg-user", "cpns", "--pg-password-file", "/data/cfg/pg.password",
                        // a private test network; the store's TLS is PgTlsIT's and PgTlsAttackIT's
                        "--pg-ssl-mode", "disable",
                        "--shared-secrets", "/data/cfg/shared",
                        "--cluster", "--cluster-host", alias, "--cluster-port", "5701",
                        "--cluster-members", "server-a:5701,server-b:5701", "--management-port", "-1")
                .withCopyToContainer(Images.ownedByCpns(utf8(brokerSecret)), "/data/cfg/server.secret")
                .withCopyToContainer(Images.ownedByCpns(caPem), "/data/cfg/cloud-ca.pem")
                .withCopyToContainer(Images.ownedByCpns(utf8(pgPassword)), "/data/cfg/pg.password")
                .withCopyToContainer(Images.ownedByCpns(Files.readAllBytes(users)), "/data/cfg/users.htdigest")
                .withCopyToContainer(Images.ownedByCpns(Files.readAllBytes(shared.resolve(ServerConfig.MASTER_KEY_FILE))),
                        "/data/cfg/shared/" + ServerConfig.MASTER_KEY_FILE)
                .withCopyToContainer(Images.ownedByCpns(Files.readAllBytes(shared.resolve(ServerConfig.NONCE_KEY_FILE))),
                        "/data/cfg/shared/" + ServerConfig.NONCE_KEY_FILE)
                .waitingFor(Wait.forLogMessage(".*CPNS Server ready.*", 1).withStartupTimeout(Duration.ofSeconds(150)));
    }

    @AfterAll
    static void stop() {
        if (checker != null) {
            CloudSupport.await(checker.stop());
        }
        if (vertx != null) {
            CloudSupport.await(vertx.close());
        }
        pnes.forEach(GenericContainer::stop);
        for (final GenericContainer<?> c : new GenericContainer<?>[] {gateway, serverB, serverA, broker, postgres}) {
            if (c != null) {
                c.stop();
            }
        }
        if (network != null) {
            network.close();
        }
    }

    @Test
    @Order(1)
    @DisplayName("P7 P9 F0-F10 R3 R5 R8 R12 R17 a PNE container gets its EUKey through the gateway, broker and two clustered server containers on PostgreSQL")
    void pneContainer_clusteredServerContainers_keyStoredAndEqual() throws Exception {
        final String entity = "topo-sensor-0";
        final GenericContainer<?> pne = pne(enroll(entity));
        awaitExit(List.of(pne), Duration.ofSeconds(120));
        assertHoldsStoredKey(entity, pne);
        // started together, the two may first form a cluster each; they find each other within seconds
        try {
            eventually(Duration.ofSeconds(90), "the two servers form one cluster",
                    () -> serverA.getLogs().contains("2 member(s) now") || serverB.getLogs().contains("2 member(s) now"));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + serverA.getLogs() + serverB.getLogs(), e);
        }
    }

    @Test
    @Order(2)
    @DisplayName("P7 P9 F6 F10 R12 R18 a server container killed in the middle of a batch: every PNE container ends with its EUKey, equal to the stored one, one active key per entity")
    void serverContainerKilled_midBatch_nothingLost() throws Exception {
        final int n = 6;
        final Map<String, Map<String, byte[]>> enrolled = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            enrolled.put("topo-batch-" + i, enroll("topo-batch-" + i));
        }
        final List<Map<String, byte[]>> all = new ArrayList<>(enrolled.values());
        final List<GenericContainer<?>> batch = new ArrayList<>();
        // PNEs run WAVE at a time (each is a JVM: more at once would starve a two-core machine). Once a key of the
        // first wave is stored, server A is killed (SIGKILL, no shutdown) while the rest of the wave is in
        // flight; the following waves run against what is left
        long atKill = -1;
        for (int w = 0; w < n; w += WAVE) {
            final List<GenericContainer<?>> wave = new ArrayList<>();
            for (int i = w; i < Math.min(n, w + WAVE); i++) {
                wave.add(pne(all.get(i)));
            }
            if (w == 0) {
                eventually(Duration.ofSeconds(120), "a key of the batch stored before the kill",
                        () -> stored("topo-batch-") >= 1);
                serverA.getDockerClient().killContainerCmd(serverA.getContainerId()).withSignal("KILL").exec();
                atKill = stored("topo-batch-");
            }
            awaitExit(wave, Duration.ofSeconds(180));
            batch.addAll(wave);
        }
        System.out.printf("topology: server-a killed with %d of %d keys of the batch stored%n", atKill, n);
        assertTrue(atKill < n, "the kill came in the middle of the batch (" + atKill + " of " + n + " stored)");
        int i = 0;
        for (final String entity : enrolled.keySet()) {
            assertHoldsStoredKey(entity, batch.get(i++));
        }
        final List<KeyInfo> keys = CloudSupport.await(checker.store().list());
        for (final String entity : enrolled.keySet()) {
            assertEquals(1, keys.stream().filter(k -> k.entityId().value().equals(entity)).count(),
                    entity + ": one key, none doubled by the retries");
            assertEquals(1, keys.stream().filter(k -> k.entityId().value().equals(entity) && k.state() == KeyState.ACTIVE)
                    .count(), entity + ": one active key");
        }
    }

    /** {@code cpns gateway enroll} inside the gateway container; its PAN identity copied out of it. */
    private static Map<String, byte[]> enroll(final String entity) throws Exception {
        final Container.ExecResult r = gateway.execInContainer("/opt/java/bin/java", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-cp", "/opt/cpns/lib/*", "org.cpnskeys.deploy.Cpns", "gateway", "enroll",
                "--data", "/data/gateway", "--id", GATEWAY, "--entity", entity, "--out", "/data/gateway/enrolled");
        assertEquals(0, r.getExitCode(), "enroll " + entity + ": " + r.getStdout() + r.getStderr());
        final Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("entity", utf8(entity));
        for (final String f : List.of(entity + ".p12", entity + ".p12.pass", "pan-ca.pem")) {
            files.put(f, gateway.copyFileFromContainer("/data/gateway/enrolled/" + f, in -> in.readAllBytes()));
        }
        return files;
    }

    /** A PNE container without UI (proxy request) that asks the gateway for its EUKey once and stores it. */
    private static GenericContainer<?> pne(final Map<String, byte[]> enrolled) {
        final String entity = new String(enrolled.get("entity"), StandardCharsets.UTF_8);
        GenericContainer<?> c = new GenericContainer<>(Images.CPNS).withNetwork(network)
                .withEnv("JAVA_TOOL_OPTIONS", PNE_JAVA_OPTIONS)
                .withCommand("pne", "--entity", entity, "--identity", "/data/pne/" + entity + ".p12",
                        "--ca", "/data/pne/pan-ca.pem", "--host", "gateway", "--port", "8883",
                        "--keystore", "/data/pne/" + entity + "-eukey.p12", "--description", "topology test PNE")
                .withStartupCheckStrategy(new Launched());
        for (final Map.Entry<String, byte[]> f : enrolled.entrySet()) {
            if (!f.getKey().equals("entity")) {
                c = c.withCopyToContainer(Images.ownedByCpns(f.getValue()), "/data/pne/" + f.getKey());
            }
        }
        c.start();
        pnes.add(c);
        return c;
    }

    /** The PNE container ended well, printed the key check value of its EUKey, and that is the stored key's. */
    private static void assertHoldsStoredKey(final String entity, final GenericContainer<?> pne) {
        final String logs = pne.getLogs();
        final Long exit = pne.getDockerClient().inspectContainerCmd(pne.getContainerId()).exec().getState().getExitCodeLong();
        assertEquals(0L, exit, entity + " ended with " + exit + ":\n" + logs);
        final Matcher m = STORED.matcher(logs);
        assertTrue(m.find(), entity + " printed no stored EUKey:\n" + logs);
        assertEquals(Optional.of(m.group(2)), CloudSupport.await(checker.keyCheckValue(EntityId.of(entity))),
                entity + ": the key the PNE holds is the stored active key");
    }

    private static long stored(final String prefix) {
        return CloudSupport.await(checker.store().list()).stream()
                .filter(k -> k.entityId().value().startsWith(prefix)).count();
    }

    private static void awaitExit(final List<GenericContainer<?>> containers, final Duration max) {
        eventually(max, "every PNE container ended", () -> containers.stream().noneMatch(c -> Boolean.TRUE.equals(
                c.getDockerClient().inspectContainerCmd(c.getContainerId()).exec().getState().getRunning())));
    }

    private static void eventually(final Duration max, final String what, final BooleanSupplier condition) {
        final long end = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within " + max + ": " + what);
            }
            LockSupport.parkNanos(100_000_000L);
        }
    }

    /** A PNE ends by itself, maybe before its start is checked: how it ended is asserted afterwards. */
    private static final class Launched extends StartupCheckStrategy {
        @Override
        public StartupStatus checkStartupState(final DockerClient client, final String containerId) {
            return StartupStatus.SUCCESSFUL;
        }
    }

    private static byte[] utf8(final String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
