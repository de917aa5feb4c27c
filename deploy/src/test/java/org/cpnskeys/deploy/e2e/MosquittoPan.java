package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code mosquitto} run as a process from the shipped PAN configuration ({@code deploy/mosquitto/pan}),
 * the way an installer would run it: the shipped {@code mosquitto.conf}, {@code acl-pne} and {@code acl-gateway}, with only the paths of
 * {@code /mosquitto/config/} pointed at {@code tlsDir} (where {@code cpns gateway pan-tls} wrote pan-ca.pem,
 * pan-broker.pem, pan-broker-key.pem and pan-crl.pem), the two ports moved to free ones, and {@code user root}
 * (the tests run as root with owner-only temporary folders; the shipped file lets Mosquitto drop to its user).
 */
final class MosquittoPan implements AutoCloseable {
    static final Path SHIPPED = Path.of("mosquitto", "pan");
    static final String GATEWAY_USER = "cpns-gateway";
    private static final Duration T = Duration.ofSeconds(30);

    private final Path dir;
    final int tlsPort;
    final int gatewayPort;
    private Process process;

    private MosquittoPan(final Path dir, final int tlsPort, final int gatewayPort) {
        this.dir = dir;
        this.tlsPort = tlsPort;
        this.gatewayPort = gatewayPort;
    }

    /** Checks that Debian's broker and clients are there (skip, or fail when CI requires them). */
    static void require() {
        Tools.require(ForeignPneContract.REQUIRE, "mosquitto mosquitto-clients", "mosquitto", "mosquitto_pub",
                "mosquitto_sub", "mosquitto_passwd");
    }

    /**
     * Starts Mosquitto in {@code tlsDir} (the folder with the TLS files and the CRL) with the gateway's account
     * {@value #GATEWAY_USER} / {@code gatewayPassword} (made with {@code mosquitto_passwd}).
     */
    static MosquittoPan start(final Path tlsDir, final String gatewayPassword) throws Exception {
        for (final String acl : List.of("acl-pne", "acl-gateway")) {
            Files.copy(SHIPPED.resolve(acl), tlsDir.resolve(acl));
        }
        final MosquittoPan m = new MosquittoPan(tlsDir, freePort(), freePort());
        final String shipped = Files.readString(SHIPPED.resolve("mosquitto.conf"));
        final String conf = "user root\n" + shipped.replace("/mosquitto/config/", "")
                .replace("listener 8883\n", "listener " + m.tlsPort + " 127.0.0.1\n")
                .replace("listener 1884 127.0.0.1\n", "listener " + m.gatewayPort + " 127.0.0.1\n");
        assertTrue(conf.contains("listener " + m.tlsPort) && conf.contains("listener " + m.gatewayPort)
                && conf.contains("crlfile pan-crl.pem"), "the shipped mosquitto.conf changed its listeners or crlfile");
        Files.writeString(tlsDir.resolve("mosquitto.conf"), conf);
        final Tools.Result passwd = Tools.run(tlsDir, T, List.of("mosquitto_passwd", "-b", "-c", "passwords",
                GATEWAY_USER, gatewayPassword));
        assertTrue(passwd.ok(), "mosquitto_passwd: " + passwd);
        m.launch();
        return m;
    }

    private void launch() throws Exception {
        process = new ProcessBuilder("mosquitto", "-c", "mosquitto.conf").directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("mosquitto.log").toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        final long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!accepts(tlsPort) || !accepts(gatewayPort)) {
            assertTrue(process.isAlive(), "mosquitto exited: " + log());
            assertTrue(System.nanoTime() < end, "mosquitto did not listen: " + log());
            process.waitFor(50, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Sends SIGHUP, which makes Mosquitto 2.0.11 re-read its configuration, certificates and {@code crlfile}
     * (seen here: a device revoked in the CRL is refused after the SIGHUP, not before).
     */
    void hangUp() throws Exception {
        // the shell's own kill: no procps needed
        final Tools.Result r = Tools.run(dir, T, List.of("sh", "-c", "kill -HUP " + process.pid()));
        assertTrue(r.ok(), "kill -HUP: " + r);
    }

    String log() throws IOException {
        return Files.readString(dir.resolve("mosquitto.log"));
    }

    @Override
    public void close() throws Exception {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /** A random broker password for one test run (never logged). */
    static String randomPassword() {
        final byte[] b = new byte[24];
        new java.security.SecureRandom().nextBytes(b);
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static boolean accepts(final int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
