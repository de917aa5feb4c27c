package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.gateway.GatewayApplication;
import org.cpnskeys.gateway.GatewayConfig;
import org.cpnskeys.gateway.approval.RuleBasedApproval;
import org.cpnskeys.protocol.tls.IssuedIdentity;
import org.cpnskeys.deploy.fleet.PneFleet;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;
import org.cpnskeys.server.GatewayRegistry;
import org.cpnskeys.server.ServerApplication;
import org.cpnskeys.server.ServerConfig;
import org.cpnskeys.server.auth.HtdigestFile;
import org.cpnskeys.server.store.KeyInfo;
import org.cpnskeys.server.store.KeyState;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety: the server runs as its own process and is killed with SIGKILL while 1,000 assignments are
 * under way, then started again. Every EUKey any PNE received is in the store and equal to it (compared by
 * key check value), and no entity has two active keys: a Key Delivery only ever leaves after its EUKey is
 * durable, and retries with the same request ID get the same key.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ServerCrashSafetyIT {
    private static final int ASSIGNMENTS = 1000;
    private static final int PNES = 20;
    private static final int IN_FLIGHT = 40;

    @TempDir
    Path dir;

    @Test
    @DisplayName("SIGKILL of the server during 1,000 assignments: every key a PNE holds is stored and equal, one active key per entity")
    void sigkillMidLoad_noKeyLostNoneDoubled() throws Exception {
        final Path serverDir = dir.resolve("server");
        final char[] password = "crash-test-password".toCharArray();
        HtdigestFile.addOrReplace(serverDir.resolve("users.htdigest"), UserId.of("alice"), "cpns", password);
        final String token = GatewayRegistry.open(serverDir.resolve("gateways")).register(GatewayId.of("home-gw"));
        final int port = freePort();
        Process server = startServer(serverDir, port);
        final Vertx vertx = Vertx.vertx();
        GatewayApplication gateway = null;
        try {
            gateway = Fixture.await(GatewayApplication.start(vertx, GatewayConfig.defaults(GatewayId.of("home-gw"),
                    dir.resolve("gateway"), 0, MqttEndpoint.tls("127.0.0.1", port,
                    new io.vertx.core.net.PemTrustOptions().addCertPath(serverDir.resolve("cloud-ca")
                            .resolve("cloud-ca-cert.pem").toString()), Optional.empty(), true,
                    Optional.of("home-gw"), Optional.of(token)))
                    .withCloudTimeout(Duration.ofSeconds(2), 3), RuleBasedApproval.parse("allow:*"),
                    (realm, why) -> Future.succeededFuture(Optional.empty())));
            gateway.credentials().set(UserId.of("alice"), "cpns", password);
            final List<PneFleet.Member> members = new ArrayList<>();
            for (int i = 0; i < PNES; i++) {
                final EntityId e = EntityId.of("crash-" + i);
                final IssuedIdentity id = gateway.enroll(e);
                members.add(new PneFleet.Member(e, id.toPkcs12("p".toCharArray()), "p".toCharArray()));
            }
            try (PneFleet fleet = PneFleet.connect("localhost", gateway.panPort(),
                    gateway.certificateAuthority().caCertificatePem(), members)) {
                final AtomicInteger started = new AtomicInteger();
                final AtomicInteger delivered = new AtomicInteger();
                final CountDownLatch done = new CountDownLatch(IN_FLIGHT);
                for (int slot = 0; slot < IN_FLIGHT; slot++) {
                    loop(fleet, slot % PNES, started, delivered, done);
                }
                Fixture.eventually(Duration.ofSeconds(120), "a third delivered before the kill",
                        () -> delivered.get() >= ASSIGNMENTS / 3);
                server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                final int atKill = delivered.get();
                server = startServer(serverDir, port);
                assertTrue(done.await(240, TimeUnit.SECONDS), "all assignments completed");
                assertTrue(atKill < ASSIGNMENTS, "the kill happened mid-load");
                assertEquals(ASSIGNMENTS, delivered.get());
                server.destroy();
                server.waitFor(30, TimeUnit.SECONDS);
                verify(serverDir, fleet.receivedKeyCheckValues(), vertx);
            }
        } finally {
            if (gateway != null) {
                Fixture.await(gateway.stop());
            }
            server.destroyForcibly();
            Fixture.await(vertx.close());
        }
    }

    /** One slot: request, and on anything but 200 ask again with the same request ID; then the next one. */
    private static void loop(final PneFleet fleet, final int member, final AtomicInteger started,
            final AtomicInteger delivered, final CountDownLatch done) {
        final int n = started.incrementAndGet();
        if (n > ASSIGNMENTS) {
            done.countDown();
            return;
        }
        attempt(fleet, member, RequestId.of("crash-r" + n), 0, started, delivered, done);
    }

    private static void attempt(final PneFleet fleet, final int member, final RequestId id, final int tries,
            final AtomicInteger started, final AtomicInteger delivered, final CountDownLatch done) {
        fleet.requestKey(member, id).orTimeout(15, TimeUnit.SECONDS).whenComplete((status, e) -> {
            if (e == null && status == 200) {
                delivered.incrementAndGet();
                loop(fleet, member, started, delivered, done);
            } else if (tries < 40) {
                fleet.forget(member, id);
                CompletableFuture.delayedExecutor(250, TimeUnit.MILLISECONDS)
                        .execute(() -> attempt(fleet, member, id, tries + 1, started, delivered, done));
            } else {
                done.countDown();
            }
        });
    }

    private void verify(final Path serverDir, final Map<String, String> received, final Vertx vertx) {
        final ServerApplication check = Fixture.await(ServerApplication.start(vertx,
                ServerConfig.defaults(serverDir, 0)));
        try {
            assertEquals(ASSIGNMENTS, received.size(), "keys the PNEs received");
            for (final Map.Entry<String, String> e : received.entrySet()) {
                final String[] parts = e.getKey().split("/");
                assertEquals(Optional.of(e.getValue()), Fixture.await(check.keyCheckValue(EntityId.of(parts[0]),
                        RequestId.of(parts[1]))), "the stored key of " + e.getKey());
            }
            final List<KeyInfo> keys = Fixture.await(check.store().list());
            for (int i = 0; i < PNES; i++) {
                final String entity = "crash-" + i;
                assertEquals(1, keys.stream().filter(k -> k.entityId().value().equals(entity)
                        && k.state() == KeyState.ACTIVE).count(), "one active key for " + entity);
            }
            System.out.printf("crash test: %d keys received by PNEs, %d rows stored, all equal%n", received.size(),
                    keys.size());
        } finally {
            Fixture.await(check.stop());
        }
    }

    private static Process startServer(final Path serverDir, final int port) throws IOException, InterruptedException {
        final Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.cpnskeys.deploy.Cpns", "server",
                "--data", serverDir.toString(), "--port", Integer.toString(port), "--management-port", "-1",
                "--admin-port", "-1")
                .redirectErrorStream(true).start();
        final CountDownLatch ready = new CountDownLatch(1);
        final Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.contains("CPNS Server ready")) {
                        ready.countDown();
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "server-output");
        reader.setDaemon(true);
        reader.start();
        assertTrue(ready.await(90, TimeUnit.SECONDS), "the server process started");
        return p;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
