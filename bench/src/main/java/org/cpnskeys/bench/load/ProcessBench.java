package org.cpnskeys.bench.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.cpnskeys.deploy.ServerProcess;
import org.cpnskeys.deploy.fleet.PneFleet;
import org.cpnskeys.gateway.GatewayApplication;
import org.cpnskeys.gateway.approval.ConsentSigner;
import org.cpnskeys.gateway.credentials.GatewayCredentials;
import org.cpnskeys.gateway.pan.DeviceRegister;
import org.cpnskeys.gateway.pan.PanCertificateAuthority;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.ConsentSignature;
import org.cpnskeys.protocol.crypto.SecretFiles;
import org.cpnskeys.protocol.tls.IssuedIdentity;
import org.cpnskeys.server.GatewayRegistry;
import org.cpnskeys.server.ServerConfig;
import org.cpnskeys.server.auth.HtdigestFile;

/**
 * {@code cpns bench --processes}: the roles as a deployment runs them, each in a JVM of its own, started with the
 * real commands: {@code cpns broker} (the cloud broker, TLS with its generated cloud CA), {@code cpns server}
 * (durable SQLite store, on that broker), {@code cpns gateway} (its embedded PAN broker, approval by rule
 * {@code allow:*}); this JVM is the load generator (and the echo harness, which stays in this JVM). The state
 * is prepared as {@code cpns user add}, {@code cpns server add-gateway} (with the gateway's consent key), {@code cpns gateway credentials} and
 * {@code cpns gateway enroll} leave it, then measured as the single-process bench ({@link Measurement}).
 */
final class ProcessBench {
    private static final String USER = "bench";
    private static final GatewayId GATEWAY = GatewayId.of("bench-gw");

    private final BenchCommand options;
    private final Path dir;

    ProcessBench(final BenchCommand options, final Path dir) {
        this.options = options;
        this.dir = dir;
    }

    int run() throws Exception {
        final Measurement measurement = new Measurement(options, dir);
        final char[] password = HexFormat.of().formatHex(CloudLegBench.random(12)).toCharArray();
        final Path users = dir.resolve("users.htdigest");
        HtdigestFile.addOrReplace(users, UserId.of(USER), ServerConfig.DEFAULT_REALM, password);
        final Path token = dir.resolve("gateway.token");
        SecretFiles.writeNew(token, GatewayRegistry.open(dir.resolve("gateways")).register(GATEWAY)
                .getBytes(StandardCharsets.US_ASCII));
        final Path brokerSecret = dir.resolve("broker-server.secret");
        SecretFiles.writeNew(brokerSecret, HexFormat.of().formatHex(CloudLegBench.random(24)).getBytes(StandardCharsets.US_ASCII));
        final Path gatewayDir = SecretFiles.ownerOnlyDirectory(dir.resolve("gateway"));
        GatewayCredentials.open(gatewayDir.resolve("credentials")).set(UserId.of(USER), ServerConfig.DEFAULT_REALM, password);
        // the gateway's consent key, registered with the server as `cpns server add-gateway --consent-key` does: its
        // receipts are then verified and stored, as in the single-process bench
        try (ConsentSigner consent = ConsentSigner.loadOrCreate(gatewayDir, GATEWAY, "rule")) {
            GatewayRegistry.open(SecretFiles.ownerOnlyDirectory(dir.resolve("server")).resolve("gateways"))
                    .consentKeys().register(GATEWAY, ConsentSignature.parsePublicKey(Files.readString(
                            gatewayDir.resolve(ConsentSigner.PUBLIC_FILE)), "consent key"));
        }
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(gatewayDir.resolve("pan-ca"),
                GATEWAY.value(), GatewayApplication.CA_VALIDITY);
        final DeviceRegister register = DeviceRegister.open(gatewayDir);
        final List<PneFleet.Member> members = new ArrayList<>();
        for (int i = 0; i < measurement.members(); i++) {
            final EntityId e = EntityId.of("bench-" + i);
            final IssuedIdentity id = ca.issueDevice(e, GatewayApplication.DEVICE_CERT_VALIDITY);
            register.add(id.certificate(), e, DeviceRegister.Method.GENERATED);
            final char[] pw = "bench".toCharArray();
            members.add(new PneFleet.Member(e, id.toPkcs12(pw), pw));
        }
        final int cloudPort = CloudLegBench.freePort();
        final int panPort = CloudLegBench.freePort();
        final List<ServerProcess> roles = new ArrayList<>();
        String result = null;
        try {
            roles.add(start("broker", List.of("broker", "--data", dir.resolve("broker").toString(), "--port",
                    Integer.toString(cloudPort), "--server-secret-file", brokerSecret.toString(), "--gateways",
                    dir.resolve("gateways").toString()), "cloud broker listening on"));
            final Path cloudCa = dir.resolve("broker").resolve("cloud-ca").resolve("cloud-ca-cert.pem");
            roles.add(start("server", List.of("server", "--data", dir.resolve("server").toString(), "--users",
                    users.toString(), "--broker-host", "127.0.0.1", "--broker-port", Integer.toString(cloudPort),
                    "--broker-ca", cloudCa.toString(), "--broker-secret-file", brokerSecret.toString(),
                    "--management-port", "-1", "--admin-port", "-1"), ServerProcess.READY_LINE));
            roles.add(start("gateway", List.of("gateway", "--id", GATEWAY.value(), "--data", gatewayDir.toString(),
                    "--pan-port", Integer.toString(panPort), "--cloud-host", "127.0.0.1", "--cloud-port",
                    Integer.toString(cloudPort), "--cloud-token-file", token.toString(), "--cloud-ca", cloudCa.toString(),
                    "--approve", "allow:*", "--instances", Integer.toString(options.gatewayInstances),
                    "--management-port", "-1"), "ready on PAN broker"));
            final long[] cpu0 = CloudLegBench.serverCpu(roles);
            final long t0 = System.nanoTime();
            result = measurement.run(panPort, ca, members, "broker, server and gateway in JVMs of their own (pids "
                    + roles.stream().map(r -> r.name() + " " + r.pid()).toList() + ")");
            final long[] cpu1 = CloudLegBench.serverCpu(roles);
            final StringBuilder b = new StringBuilder("roles' CPU over the whole run (of one core):");
            for (int i = 0; i < roles.size(); i++) {
                b.append(String.format(" %s %.0f%%", roles.get(i).name(), (cpu1[i] - cpu0[i]) / 1e7 / ((System.nanoTime() - t0) / 1e9)));
            }
            System.out.println(b);
            return Measurement.clean(result) ? 0 : 1;
        } finally {
            for (int i = roles.size() - 1; i >= 0; i--) {
                roles.get(i).stop(Duration.ofSeconds(20));
            }
            if (result != null) {
                System.out.flush();
                System.out.println(result);
            }
        }
    }

    private ServerProcess start(final String name, final List<String> command, final String readyLine)
            throws IOException, InterruptedException {
        // warnings only, as the single-process bench (BenchCommand.quietLogs): at INFO each Key Request writes several
        // lines, which would reach this JVM through a pipe read line by line (measured: 907/s instead of ~5,000/s)
        final ServerProcess p = ServerProcess.startRole(name, System.getProperty("java.class.path"),
                List.of("-Xmx" + options.roleHeap, "-DCPNS_LOG_LEVEL=WARN"), command, readyLine,
                dir.resolve(name + ".log"), Duration.ofMinutes(2));
        System.out.printf("%s ready (pid %d)%n", name, p.pid());
        return p;
    }
}
