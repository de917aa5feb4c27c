package org.cpnskeys.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.broker.CloudTlsOptions;
import org.cpnskeys.broker.EmbeddedBroker;
import org.cpnskeys.deploy.BrokerCommand;
import org.cpnskeys.deploy.Cli;
import org.cpnskeys.deploy.ServerProcess;
import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.SecretFiles;
import org.cpnskeys.server.GatewayRegistry;
import org.cpnskeys.server.ServerApplication;
import org.cpnskeys.server.ServerConfig;
import org.cpnskeys.server.auth.HtdigestFile;
import org.cpnskeys.server.store.KeyInfo;
import org.cpnskeys.server.store.KeyState;
import org.cpnskeys.server.store.PgStoreConfig;
import org.cpnskeys.server.store.TestPostgres;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * No lost request in a cluster (issue D, design in docs/SIGKILL-TEST.md): two {@code cpns server --cluster
 * --store postgres} JVMs on one PostgreSQL database and one cloud broker (their shared subscription splits the
 * Key Requests), 1,000 proxy assignments from ten PN GWs played by the test (200 in flight), and one server
 * killed with SIGKILL once 30 % are acknowledged. Every assignment completes (the gateways retry with the same
 * request ID), every entity has exactly one ACTIVE key, the key each gateway unwrapped is the stored one (key
 * check value), and digest answers the dead server accepted are still refused as replays by the survivor (their
 * use is recorded in PostgreSQL with the key they authorised).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ClusterNoLostRequestIT {
    private static final int ASSIGNMENTS = 1000;
    private static final int GATEWAYS = 10;
    private static final int WINDOW = 20;
    /**
     * An unanswered attempt is retried after this: long enough that on a loaded machine a slow answer is rarely
     * retried before the kill (the replay check needs answers only one server ever saw), short enough for the
     * time budget (requests lost in the victim wait this long once).
     */
    private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(20);
    private static final String PASSWORD = "no-lost-request-password";
    /** The server's log line for a key it created: "EUKey <keyId> assigned: entity=<entity> ...". */
    private static final Pattern CREATED = Pattern.compile("EUKey (\\S+) assigned: entity=(\\S+)");

    @TempDir
    Path dir;

    @Test
    @DisplayName("P7 R12 R14: SIGKILL of one of two clustered servers during 1,000 assignments: none lost, none doubled, keys equal the stored ones, replays still refused")
    void sigkillOfOneClusteredServer_midBatch_noRequestLostNoneDuplicated() throws Exception {
        try (TestPostgres postgres = TestPostgres.startOrSkip()) {
            final PgStoreConfig db = postgres.newDatabase();
            final Path shared = SecretFiles.ownerOnlyDirectory(dir.resolve("shared-secrets"));
            SecretFiles.loadOrCreate(shared.resolve(ServerConfig.MASTER_KEY_FILE), 32).destroy();
            SecretFiles.loadOrCreate(shared.resolve(ServerConfig.NONCE_KEY_FILE), 32).destroy();
            final Path users = dir.resolve("users.htdigest");
            HtdigestFile.addOrReplace(users, UserId.of("alice"), ServerConfig.DEFAULT_REALM, PASSWORD.toCharArray());
            final Path pgPassword = secretFile("pg.pw", db.password().orElseThrow());
            final String brokerSecret = "broker-" + Long.toHexString(System.nanoTime());
            final Path brokerSecretFile = secretFile("broker.secret", brokerSecret);
            final GatewayRegistry registry = GatewayRegistry.open(dir.resolve("gateways"));
            final List<SimulatedGateways.Login> logins = new ArrayList<>();
            for (int g = 0; g < GATEWAYS; g++) {
                final GatewayId id = GatewayId.of("nl-gw-" + g);
                logins.add(new SimulatedGateways.Login(id, registry.register(id)));
            }
            final BrokerCommand.CloudBroker cloud = BrokerCommand.cloudBroker(dir.resolve("broker"), "127.0.0.1", 0,
                    brokerSecret, registry, CloudTlsOptions.generated(List.of()));
            final EmbeddedBroker broker = cloud.broker();
            broker.start().get(60, TimeUnit.SECONDS);
            final String caPem = cloud.caPem().orElseThrow();
            final Path caFile = dir.resolve("cloud-ca.pem");
            Files.writeString(caFile, caPem);
            final List<ServerProcess> servers = new ArrayList<>();
            try {
                final int h1 = freePort();
                final int h2 = freePort();
                final String members = "127.0.0.1:" + h1 + ",127.0.0.1:" + h2;
                final List<String> common = List.of("--users", users.toString(), "--broker-host", "127.0.0.1",
                        "--broker-port", Integer.toString(cloud.port()), "--broker-ca", caFile.toString(),
                        "--broker-secret-file",
                        brokerSecretFile.toString(), "--store", "postgres", "--pg-url", "postgresql://" + db.user()
                                + "@" + db.host() + ":" + db.port() + "/" + db.database(),
                        "--pg-password-file", pgPassword.toString(), "--shared-secrets", shared.toString(),
                        "--cluster", "--cluster-members", members, "--management-port", "-1", "--admin-port", "-1");
                // one after the other: the second joins the first's cluster (two at once could form two clusters)
                servers.add(server("server-a", h1, common));
                servers.add(server("server-b", h2, common));
                assertTrue(servers.get(1).output().stream().anyMatch(l -> l.contains("(2 member(s) now)")),
                        "server-b joined server-a's cluster:\n" + servers.get(1).tail(20));
                run(servers, db, shared, users, cloud.port(), caPem, logins);
            } finally {
                for (final ServerProcess s : servers) {
                    s.kill();
                }
                broker.stop().get(30, TimeUnit.SECONDS);
            }
        }
    }

    private void run(final List<ServerProcess> servers, final PgStoreConfig db, final Path shared, final Path users,
            final int brokerPort, final String caPem, final List<SimulatedGateways.Login> logins) throws Exception {
        final SimulatedGateways.Settings settings = new SimulatedGateways.Settings("127.0.0.1", brokerPort,
                UserId.of("alice"), ServerConfig.DEFAULT_REALM,
                DigestClient.ha1("alice", ServerConfig.DEFAULT_REALM, PASSWORD.toCharArray()), ATTEMPT_TIMEOUT, 8,
                java.util.Optional.of(caPem));
        final Map<String, SimulatedGateways.Outcome> outcomes = new ConcurrentHashMap<>();
        final Set<String> doneBeforeKill = ConcurrentHashMap.newKeySet();
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger started = new AtomicInteger();
        final CountDownLatch slotsDone = new CountDownLatch(GATEWAYS * WINDOW);
        final long t0 = System.nanoTime();
        try (SimulatedGateways gateways = SimulatedGateways.connect(settings, logins)) {
            final boolean[] killed = {false};
            for (int g = 0; g < GATEWAYS; g++) {
                for (int w = 0; w < WINDOW; w++) {
                    slot(gateways, g, next, started, outcomes, doneBeforeKill, killed, slotsDone);
                }
            }
            // and the server to kill has stored and answered at least one of them: killed before that, it would leave
            // no accepted answer to replay against the survivor (a timing precondition, not what the test proves).
            // Which server that is, is the broker's choice: a shared subscription hands each Key Request to a
            // subscriber with room in its in-flight window, so a server that is quicker to take them can take all
            // (seen: server-b created no key before the 1,000 were done). The second server is killed when it
            // served some, else the first; either way the other one is the survivor.
            final ServerProcess[] chosen = new ServerProcess[1];
            try {
                eventually(Duration.ofSeconds(90), "30 % acknowledged with 100 or more in flight, one of them by the"
                        + " server to kill", () -> {
                            if (outcomes.size() < ASSIGNMENTS * 3 / 10 || started.get() - outcomes.size() < 100) {
                                return false;
                            }
                            for (final ServerProcess s : List.of(servers.get(1), servers.get(0))) {
                                if (!acceptedByVictim(s, outcomes, outcomes.keySet()).isEmpty()) {
                                    chosen[0] = s;
                                    return true;
                                }
                            }
                            return false;
                        });
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + " (acknowledged " + outcomes.size() + ", started "
                        + started.get() + ", keys created by server-a " + created(servers.get(0)) + ", by server-b "
                        + created(servers.get(1)) + "; server-b's last lines:\n" + servers.get(1).tail(15) + ")", e);
            }
            final ServerProcess victim = chosen[0];
            synchronized (killed) {
                killed[0] = true;
                doneBeforeKill.addAll(outcomes.keySet());
            }
            final int ackedAtKill = doneBeforeKill.size();
            final int inFlightAtKill = started.get() - ackedAtKill;
            final double killedAt = (System.nanoTime() - t0) / 1e9;
            victim.kill();
            assertFalse(victim.alive(), "the victim is dead");
            final long retriesAtKill = gateways.retries();

            assertTrue(slotsDone.await(180, TimeUnit.SECONDS), "every assignment ended within 180 s of the kill; "
                    + outcomes.size() + " of " + ASSIGNMENTS + " did");
            final double finished = (System.nanoTime() - t0) / 1e9;
            assertEquals(ASSIGNMENTS, outcomes.size(), "every assignment ended");
            final long failed = outcomes.values().stream().filter(o -> !o.delivered()).count();
            assertEquals(0, failed, () -> "assignments that never got their key: " + outcomes.values().stream()
                    .filter(o -> !o.delivered()).limit(5).toList());

            final long afterKillFirstTry = outcomes.values().stream()
                    .filter(o -> !doneBeforeKill.contains(o.entity().value()) && o.attempts() == 1).count();
            final long afterKillRetried = outcomes.values().stream()
                    .filter(o -> !doneBeforeKill.contains(o.entity().value()) && o.attempts() > 1).count();
            final int replays = replaysRefusedBySurvivor(gateways, victim, outcomes, doneBeforeKill);
            final int[] counts = verifyStore(db, shared, users, outcomes);
            System.out.printf("no-lost-request: %d assignments through 2 clustered servers (%d gateways x %d in flight);"
                    + " SIGKILL of %s (pid %d) at %.1f s with %d acknowledged (%d %%) and %d in flight; all ended at %.1f s;"
                    + " ended after the kill: %d at their first attempt, %d after a retry with the same request ID;"
                    + " retries %d (%d after the kill), late replies %d, conflicting late keys %d; stored rows %d,"
                    + " entities with one ACTIVE key %d; lost %d, duplicated %d; replays of answers the victim accepted"
                    + " refused by the survivor: %d of %d%n",
                    ASSIGNMENTS, GATEWAYS, WINDOW, victim.name(), victim.pid(), killedAt, ackedAtKill,
                    ackedAtKill * 100 / ASSIGNMENTS, inFlightAtKill, finished, afterKillFirstTry, afterKillRetried, gateways.retries(),
                    gateways.retries() - retriesAtKill, gateways.lateReplies(), gateways.conflictingLateKeys(),
                    counts[0], counts[1], counts[2], counts[3], replays, replays);
            assertEquals(0, gateways.conflictingLateKeys(), "a late 200 carried a different key");
            assertTrue(inFlightAtKill >= 100, "in flight at the kill: " + inFlightAtKill);
            assertTrue(ackedAtKill < ASSIGNMENTS, "the kill happened mid-batch");
        }
    }

    /** One of the in-flight slots: assigns the next entity, then the one after, until all are started. */
    private static void slot(final SimulatedGateways gateways, final int gateway, final AtomicInteger next,
            final AtomicInteger started, final Map<String, SimulatedGateways.Outcome> outcomes,
            final Set<String> doneBeforeKill, final boolean[] killed, final CountDownLatch slotsDone) {
        final int n = next.getAndIncrement();
        if (n >= ASSIGNMENTS) {
            slotsDone.countDown();
            return;
        }
        started.incrementAndGet();
        gateways.assign(gateway, EntityId.of("nl-" + n), RequestId.of("nl-r-" + n)).thenAccept(o -> {
            synchronized (killed) {
                outcomes.put(o.entity().value(), o);
                if (!killed[0]) {
                    doneBeforeKill.add(o.entity().value());
                }
            }
            slot(gateways, gateway, next, started, outcomes, doneBeforeKill, killed, slotsDone);
        });
    }

    private static long created(final ServerProcess server) {
        return server.output().stream().filter(l -> CREATED.matcher(l).find()).count();
    }

    /**
     * Sends again, after the kill, digest answers the victim accepted before it: its log shows it created the
     * entity's key, and that answer was the only one ever sent for the request, so the victim is the server that
     * accepted its (nonce, nc). The survivor must refuse each as a replayed nonce count (401, no key), which it
     * can only do if the victim's records of used answers survived it. Returns how many were refused (all).
     */
    private static int replaysRefusedBySurvivor(final SimulatedGateways gateways, final ServerProcess victim,
            final Map<String, SimulatedGateways.Outcome> outcomes, final Set<String> doneBeforeKill) throws Exception {
        final List<SimulatedGateways.Outcome> acceptedByVictim = acceptedByVictim(victim, outcomes, doneBeforeKill);
        assertFalse(acceptedByVictim.isEmpty(), "no answer accepted by the victim found");
        int refused = 0;
        for (final SimulatedGateways.Outcome o : acceptedByVictim) {
            final CpnsMessage reply = gateways.sendOnce(o.gateway(), o.acceptedAnswer().get(), Duration.ofSeconds(30))
                    .get(40, TimeUnit.SECONDS);
            assertTrue(reply instanceof KeyDelivery d && d.status() == Status.UNAUTHORIZED && d.wrappedKey().isEmpty(),
                    "replay of an answer the victim accepted (" + o.entity() + "): " + reply);
            refused++;
        }
        return refused;
    }

    /**
     * Up to 20 assignments among {@code acknowledged} whose key the victim created (its log says so) from the only
     * digest answer their gateway sent: the victim accepted that answer.
     */
    private static List<SimulatedGateways.Outcome> acceptedByVictim(final ServerProcess victim,
            final Map<String, SimulatedGateways.Outcome> outcomes, final Set<String> acknowledged) {
        final Map<String, String> createdByVictim = new HashMap<>();
        for (final String line : victim.output()) {
            final Matcher m = CREATED.matcher(line);
            if (m.find()) {
                createdByVictim.put(m.group(2), m.group(1));
            }
        }
        return outcomes.values().stream()
                .filter(o -> acknowledged.contains(o.entity().value()) && o.answersSent() == 1
                        && o.acceptedAnswer().isPresent()
                        && o.keyId().map(k -> k.value().equals(createdByVictim.get(o.entity().value()))).orElse(false))
                .limit(20).toList();
    }

    /**
     * Reads the store with a server of its own (no cluster, its own broker) sharing the database and the master
     * key: returns {rows, entities with exactly one ACTIVE key, lost, duplicated} after asserting that none is
     * lost or duplicated and that every unwrapped key equals the stored one.
     */
    private int[] verifyStore(final PgStoreConfig db, final Path shared, final Path users,
            final Map<String, SimulatedGateways.Outcome> outcomes) {
        final Vertx vertx = Vertx.vertx();
        try {
            final ServerApplication check = await(ServerApplication.start(vertx,
                    ServerConfig.defaults(dir.resolve("check"), 0).withHtdigestFile(users).withPostgres(db)
                            .withSharedSecrets(shared)));
            try {
                final List<KeyInfo> rows = await(check.store().list());
                final Map<String, Integer> active = new HashMap<>();
                final Map<String, Integer> perEntity = new HashMap<>();
                for (final KeyInfo k : rows) {
                    perEntity.merge(k.entityId().value(), 1, Integer::sum);
                    if (k.state() == KeyState.ACTIVE) {
                        active.merge(k.entityId().value(), 1, Integer::sum);
                    }
                }
                int lost = 0;
                final Set<String> mismatched = new HashSet<>();
                for (final SimulatedGateways.Outcome o : outcomes.values()) {
                    final Optional<String> stored = await(check.keyCheckValue(o.entity(), o.requestId()));
                    if (stored.isEmpty()) {
                        lost++;
                    } else if (!stored.equals(o.keyCheckValue())) {
                        mismatched.add(o.entity().value());
                    }
                }
                final int duplicated = (int) perEntity.values().stream().filter(c -> c > 1).count();
                final int oneActive = (int) active.values().stream().filter(c -> c == 1).count();
                assertEquals(0, lost, "assignments whose key is not stored");
                assertEquals(Set.of(), mismatched, "entities whose unwrapped key differs from the stored one");
                assertEquals(0, duplicated, "entities with more than one stored key");
                assertEquals(ASSIGNMENTS, rows.size(), "one stored row per assignment");
                assertEquals(ASSIGNMENTS, oneActive, "every entity has exactly one ACTIVE key");
                return new int[] {rows.size(), oneActive, lost, duplicated};
            } finally {
                await(check.stop());
            }
        } finally {
            await(vertx.close());
        }
    }

    private ServerProcess server(final String name, final int clusterPort, final List<String> common)
            throws IOException, InterruptedException {
        final List<String> args = new ArrayList<>(List.of("--data", dir.resolve(name).toString(), "--cluster-port",
                Integer.toString(clusterPort)));
        args.addAll(common);
        return ServerProcess.start(name, System.getProperty("java.class.path"), List.of("-Xmx256m"), args,
                dir.resolve(name + ".log"), Duration.ofSeconds(90));
    }

    private Path secretFile(final String name, final String secret) throws IOException {
        final Path file = dir.resolve(name);
        Files.writeString(file, secret + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static <T> T await(final Future<T> f) {
        return Cli.await(f, "waiting in the test", Duration.ofSeconds(60));
    }

    /** Waits for a condition, checking every 20 ms, at most {@code max}. */
    private static void eventually(final Duration max, final String what, final BooleanSupplier condition) {
        final long end = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within " + max + ": " + what);
            }
            LockSupport.parkNanos(20_000_000L);
        }
    }
}
