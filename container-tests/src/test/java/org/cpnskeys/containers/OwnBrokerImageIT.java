package org.cpnskeys.containers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;

import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.pne.PneOutcome;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.broker.CloudTls;
import org.cpnskeys.protocol.tls.CertificateAuthority;
import org.cpnskeys.server.GatewayRegistry;
import org.cpnskeys.server.store.KeyInfo;
import org.cpnskeys.server.store.KeyState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.MountableFile;

/**
 * P9: our own broker image ({@code cpns broker} on the jlink runtime) as the cloud broker, including a broker
 * restart in the middle of a batch of assignments: the verticles reconnect and resubscribe, retries reuse
 * their request IDs, and every assignment completes exactly once.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@RequiresDocker
class OwnBrokerImageIT {
    @TempDir
    static Path dir;
    static GenericContainer<?> broker;
    static CloudSupport cloud;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        final String serverSecret = Images.randomSecret();
        final Path secretFile = dir.resolve("server.secret");
        Files.writeString(secretFile, serverSecret, StandardCharsets.US_ASCII);
        final Path registry = dir.resolve("gateways");
        final String token = GatewayRegistry.open(registry).register(GatewayId.of("home-gw"));
        port = freePort();
        // the cloud CA made here and given to the broker (as a Kubernetes Secret would be): TLS on 1883
        final CertificateAuthority ca = CloudTls.cloudCa(dir);
        final Path caFolder = dir.resolve(CloudTls.CA_FOLDER);
        broker = new GenericContainer<>(Images.CPNS)
                .withCommand("broker", "--bind", "0.0.0.0", "--port", "1883", "--data", "/data/broker",
                        "--cloud-ca-folder", "/data/cfg/cloud-ca",
                        "--server-secret-file", "/data/cfg/server.secret", "--gateways", "/data/cfg/gateways")
                .withCopyToContainer(Images.ownedByCpns(Files.readAllBytes(caFolder.resolve(
                        CloudTls.CA_LAYOUT.keyFile()))), "/data/cfg/cloud-ca/" + CloudTls.CA_LAYOUT.keyFile())
                .withCopyToContainer(Images.ownedByCpns(Files.readAllBytes(caFolder.resolve(
                        CloudTls.CA_LAYOUT.certificateFile()))), "/data/cfg/cloud-ca/" + CloudTls.CA_LAYOUT.certificateFile())
                .withCopyFileToContainer(MountableFile.forHostPath(secretFile, 0644), "/data/cfg/server.secret")
                .withCopyFileToContainer(MountableFile.forHostPath(registry, 0644), "/data/cfg/gateways")
                .withExposedPorts(1883)
                .waitingFor(Wait.forLogMessage(".*cloud broker listening on.*", 1).withStartupTimeout(Duration.ofSeconds(90)));
        // a fixed host port, so that the clients find the broker again after its restart
        broker.setPortBindings(List.of(port + ":1883"));
        broker.start();
        cloud = new CloudSupport(dir.resolve("system"), new LocalSystem.ExternalCloud("127.0.0.1", port, serverSecret, token,
                ca.caCertificatePem()));
    }

    @AfterAll
    static void stop() {
        if (cloud != null) {
            cloud.close();
        }
        if (broker != null) {
            broker.stop();
        }
    }

    @Test
    @DisplayName("P9 a PNE without UI and one with UI get their EUKeys with our broker image as the cloud broker")
    void pnes_ownBrokerImage_keysAssigned() {
        cloud.assertAssigned("img-sensor-1", false);
        cloud.assertAssigned("img-phone-1", true);
    }

    @Test
    @DisplayName("P9 the cloud broker restarts in the middle of a batch: every assignment completes, once")
    void brokerRestart_midBatch_everyAssignmentCompletes() throws Exception {
        final int n = 12;
        final List<Future<PneOutcome>> batch = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            batch.add(cloud.pne("restart-" + i, i % 4 == 3));
        }
        eventually(Duration.ofSeconds(60), "some keys assigned before the restart", () -> stored("restart-") >= 2);
        final String id = broker.getContainerId();
        broker.getDockerClient().stopContainerCmd(id).withTimeout(2).exec();
        broker.getDockerClient().startContainerCmd(id).exec();
        for (final Future<PneOutcome> f : batch) {
            cloud.assertStored(CloudSupport.await(f));
        }
        final List<KeyInfo> keys = CloudSupport.await(cloud.system.server().store().list());
        assertEquals(n, keys.stream().filter(k -> k.entityId().value().startsWith("restart-")
                && k.state() == KeyState.ACTIVE).count(), "one active key per entity");
        assertEquals(n, keys.stream().filter(k -> k.entityId().value().startsWith("restart-")).count(),
                "no entity got a second key");
    }

    private static long stored(final String prefix) {
        return CloudSupport.await(cloud.system.server().store().list()).stream()
                .filter(k -> k.entityId().value().startsWith(prefix)).count();
    }

    private static void eventually(final Duration max, final String what, final java.util.function.BooleanSupplier c) {
        final long end = System.nanoTime() + max.toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within " + max + ": " + what);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
