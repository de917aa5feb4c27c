package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;

import org.cpnskeys.gateway.ApprovedJournal;
import org.cpnskeys.gateway.GatewayApplication;
import org.cpnskeys.gateway.credentials.GatewayCredentials;
import org.cpnskeys.gateway.pan.DeviceRegister;
import org.cpnskeys.protocol.tls.IssuedIdentity;
import org.cpnskeys.gateway.pan.PanCertificateAuthority;
import org.cpnskeys.deploy.fleet.PneFleet;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.SecretFiles;
import org.cpnskeys.server.GatewayRegistry;
import org.cpnskeys.server.ServerApplication;
import org.cpnskeys.server.ServerConfig;
import org.cpnskeys.server.auth.HtdigestFile;
import org.cpnskeys.server.store.KeyInfo;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety of the gateway: a Key Request the user approved while the CPNS Server was unreachable survives a
 * SIGKILL of the gateway process. The restarted gateway resumes it with the same request ID once the cloud is
 * back, without asking the user again, and the PNE's retry gets the one key the server stored.
 *
 * <p>That an approved request waits for an unreachable server and completes when it returns (without a crash) is
 * {@link CloudOutageIT}.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayCrashSafetyIT {
    private static final GatewayId GATEWAY = GatewayId.of("home-gw");
    private static final EntityId PNE = EntityId.of("crash-pne");
    private static final RequestId REQUEST = RequestId.of("crash-request-1");

    @TempDir
    Path dir;

    @Test
    @DisplayName("SIGKILL of the gateway after the user approved, cloud down: after restart the request completes,"
            + " one key equal to the server's, no second approval")
    void sigkillAfterApproval_resumedWithSameRequestId() throws Exception {
        final Path serverDir = dir.resolve("server");
        final Path gatewayDir = dir.resolve("gateway");
        final char[] password = "crash-test-password".toCharArray();
        HtdigestFile.addOrReplace(serverDir.resolve("users.htdigest"), UserId.of("alice"), "cpns", password);
        final Path tokenFile = dir.resolve("cloud-token");
        SecretFiles.writeNew(tokenFile, GatewayRegistry.open(serverDir.resolve("gateways")).register(GATEWAY)
                .getBytes(StandardCharsets.US_ASCII));
        // the gateway's state as 'cpns gateway credentials' and 'cpns gateway enroll' leave it
        final Path state = SecretFiles.ownerOnlyDirectory(gatewayDir);
        GatewayCredentials.open(state.resolve("credentials")).set(UserId.of("alice"), "cpns", password);
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(state.resolve("pan-ca"),
                GATEWAY.value(), GatewayApplication.CA_VALIDITY);
        final IssuedIdentity identity = ca.issueDevice(PNE, GatewayApplication.DEVICE_CERT_VALIDITY);
        DeviceRegister.open(state).add(identity.certificate(), PNE, DeviceRegister.Method.GENERATED);
        final List<PneFleet.Member> members = List.of(new PneFleet.Member(PNE, identity.toPkcs12("p".toCharArray()),
                "p".toCharArray()));

        final int cloudPort = freePort();
        final int panPort = freePort();
        final Vertx vertx = Vertx.vertx();
        ServerApplication server = Fixture.await(ServerApplication.start(vertx, ServerConfig.defaults(serverDir,
                cloudPort)));
        final Path cloudCa = serverDir.resolve("cloud-ca").resolve("cloud-ca-cert.pem");
        GatewayProcess gateway = GatewayProcess.start(gatewayDir, tokenFile, cloudCa, cloudPort, panPort);
        try {
            Fixture.await(server.stop());
            server = null;
            try (PneFleet fleet = PneFleet.connect("localhost", panPort, ca.caCertificatePem(), members)) {
                fleet.requestKey(0, REQUEST);
                gateway.awaitLine("[approval 1] Key Request from PNE \"" + PNE + "\"", Duration.ofSeconds(60));
                gateway.type("y 1");
                gateway.awaitLine("CPNS Server unreachable: Key Request " + REQUEST, Duration.ofSeconds(60));
                assertTrue(Files.readString(gatewayDir.resolve(ApprovedJournal.FILE_NAME)).contains(REQUEST.value()),
                        "the approval is on disk before the request goes to the cloud");
                gateway.kill();
            }
            // a gateway starts serving its PAN once it reached the cloud: it waits for the server's return
            gateway = GatewayProcess.launch(gatewayDir, tokenFile, cloudCa, cloudPort, panPort);
            server = Fixture.await(ServerApplication.start(vertx, ServerConfig.defaults(serverDir, cloudPort)));
            gateway.awaitLine("ready on PAN broker", Duration.ofSeconds(90));
            gateway.awaitLine("resuming the approved Key Request " + REQUEST, Duration.ofSeconds(30));

            try (PneFleet fleet = PneFleet.connect("localhost", panPort, ca.caCertificatePem(), members)) {
                int status = 0;
                for (int attempt = 0; attempt < 30 && status != 200; attempt++) {
                    try {
                        status = fleet.requestKey(0, REQUEST).get(5, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.TimeoutException e) {
                        fleet.forget(0, REQUEST);
                    }
                }
                assertEquals(200, status, "the PNE's retry gets its key");
                final String received = fleet.receivedKeyCheckValues().get(PNE + "/" + REQUEST);
                assertEquals(Optional.of(received), Fixture.await(server.keyCheckValue(PNE, REQUEST)),
                        "the PNE holds the key the server stored");
            }
            final List<KeyInfo> keys = Fixture.await(server.store().list());
            assertEquals(1, keys.stream().filter(k -> k.entityId().equals(PNE)).count(), "one key, not two: " + keys);
            assertFalse(gateway.printed("[approval"), "the restarted gateway did not ask the user again");
            gateway.stop();
            try (ApprovedJournal journal = ApprovedJournal.open(gatewayDir, new MessageCodec())) {
                assertEquals(List.of(), journal.unfinished(), "the finished request left the journal");
            }
        } finally {
            gateway.kill();
            if (server != null) {
                Fixture.await(server.stop());
            }
            Fixture.await(vertx.close());
        }
    }

    /** {@code cpns gateway} in its own JVM, approving on its console (our pipe), its output collected. */
    private static final class GatewayProcess {
        private final Process process;
        private final List<String> lines = new CopyOnWriteArrayList<>();

        private GatewayProcess(final Process process) {
            this.process = process;
            final Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // the process ended
                }
            }, "gateway-output");
            reader.setDaemon(true);
            reader.start();
        }

        static GatewayProcess start(final Path data, final Path tokenFile, final Path cloudCa, final int cloudPort,
                final int panPort) throws IOException {
            final GatewayProcess g = launch(data, tokenFile, cloudCa, cloudPort, panPort);
            g.awaitLine("ready on PAN broker", Duration.ofSeconds(90));
            return g;
        }

        static GatewayProcess launch(final Path data, final Path tokenFile, final Path cloudCa, final int cloudPort,
                final int panPort) throws IOException {
            final ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-cp", System.getProperty("java.class.path"), "org.cpnskeys.deploy.Cpns", "gateway",
                    "--id", GATEWAY.value(), "--data", data.toString(), "--pan-port", Integer.toString(panPort),
                    "--cloud-port", Integer.toString(cloudPort), "--cloud-token-file", tokenFile.toString(),
                    "--cloud-ca", cloudCa.toString(),
                    "--approve", "console", "--management-port", "-1").redirectErrorStream(true);
            return new GatewayProcess(pb.start());
        }

        boolean printed(final String text) {
            return lines.stream().anyMatch(l -> l.contains(text));
        }

        void awaitLine(final String text, final Duration max) {
            Fixture.eventually(max, "the gateway printed \"" + text + "\"; it printed:\n" + String.join("\n", lines),
                    () -> printed(text));
        }

        void type(final String line) throws IOException {
            final OutputStream in = process.getOutputStream();
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        }

        /** SIGKILL: no shutdown hook, no flush, nothing finished. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the gateway process ended");
        }

        /** SIGTERM: the gateway stops in order. */
        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
