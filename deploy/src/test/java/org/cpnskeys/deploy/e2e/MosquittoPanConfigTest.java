package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.gateway.pan.PanCertificateAuthority;
import org.cpnskeys.protocol.EntityId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped Mosquitto configuration for an external PAN broker ({@code deploy/mosquitto/}), run by Debian's
 * {@code mosquitto} with certificates from the gateway's PAN CA: its rules are PanAccessPolicy's.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MosquittoPanConfigTest {
    static final Path SHIPPED = Path.of("mosquitto", "pan");
    static final Duration T = Duration.ofSeconds(30);
    static final String GW_PASSWORD = "gw-secret-for-this-test";

    @TempDir
    static Path dir;
    static Process mosquitto;
    static int tlsPort;
    static int gatewayPort;

    @BeforeAll
    static void start() throws Exception {
        Tools.require(ForeignDeviceMosquittoTest.REQUIRE, "mosquitto mosquitto-clients", "mosquitto",
                "mosquitto_pub", "mosquitto_sub", "mosquitto_passwd");
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(dir.resolve("ca"), "ext-gw");
        Files.writeString(dir.resolve("pan-ca.pem"), ca.caCertificatePem());
        ca.issueServer(List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1))
                .writePem(dir.resolve("pan-broker-key.pem"), dir.resolve("pan-broker.pem"));
        for (final String e : List.of("ext-1", "ext-2")) {
            ca.issueDevice(EntityId.of(e), Duration.ofDays(1)).writePem(dir.resolve(e + "-key.pem"), dir.resolve(e + "-cert.pem"));
        }
        Files.copy(SHIPPED.resolve("acl"), dir.resolve("acl"));
        tlsPort = freePort();
        gatewayPort = freePort();
        String conf = Files.readString(SHIPPED.resolve("mosquitto.conf")).replace("/mosquitto/config/", "")
                .replace("listener 8883\n", "listener " + tlsPort + " 127.0.0.1\n")
                .replace("listener 1884 127.0.0.1\n", "listener " + gatewayPort + " 127.0.0.1\n");
        // tests run as root with owner-only temp folders: keep root (the shipped file lets Mosquitto drop to its user)
        conf = "user root\n" + conf;
        Files.writeString(dir.resolve("mosquitto.conf"), conf);
        final Tools.Result passwd = Tools.run(dir, T, List.of("mosquitto_passwd", "-b", "-c", "passwords", "cpns-gateway",
                GW_PASSWORD));
        assertTrue(passwd.ok(), "mosquitto_passwd: " + passwd);
        mosquitto = new ProcessBuilder("mosquitto", "-c", "mosquitto.conf").directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(dir.resolve("mosquitto.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        final long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!accepts(tlsPort) || !accepts(gatewayPort)) {
            assertTrue(mosquitto.isAlive(), "mosquitto exited: " + Files.readString(dir.resolve("mosquitto.log")));
            assertTrue(System.nanoTime() < end, "mosquitto did not listen: " + Files.readString(dir.resolve("mosquitto.log")));
            mosquitto.waitFor(50, TimeUnit.MILLISECONDS);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (mosquitto != null) {
            mosquitto.destroy();
            if (!mosquitto.waitFor(10, TimeUnit.SECONDS)) {
                mosquitto.destroyForcibly();
            }
        }
    }

    @Test
    @DisplayName("a PNE's key request reaches the gateway; one forged under another entity's topic does not")
    void pneRequest_reachesGateway_forgedDoesNot() throws Exception {
        assertTrue(Tools.run(dir, T, gateway("gw-sub", "-c", "-E", "-t", "cpns/pan/+/key-request")).ok());
        assertTrue(Tools.run(dir, T, pne("ext-1", "ext-1", "-t", "cpns/pan/ext-2/key-request", "-m", "forged")).ok());
        assertTrue(Tools.run(dir, T, pne("ext-1", "ext-1", "-t", "cpns/pan/ext-1/key-request", "-m", "genuine")).ok());
        final Tools.Result got = Tools.run(dir, T, gateway("gw-sub", "-c", "-C", "1", "-W", "20", "-v",
                "-t", "cpns/pan/+/key-request"));
        assertEquals("cpns/pan/ext-1/key-request genuine", got.stdout().strip(), got.toString());
    }

    @Test
    @DisplayName("the gateway's reply reaches its PNE, and no other PNE can read it")
    void gatewayReply_onlyItsPneReadsIt() throws Exception {
        final String topic = "cpns/pan/ext-1/key-delivery";
        assertTrue(Tools.run(dir, T, pneSub("ext-1", "ext-1", "-c", "-E", "-t", topic)).ok());
        final Tools.Result snoopSubscribe = Tools.run(dir, T, pneSub("ext-2", "ext-2", "-c", "-E", "-t", topic));
        assertTrue(Tools.run(dir, T, gatewayPub("-t", topic, "-m", "for-ext-1")).ok());
        final Tools.Result got = Tools.run(dir, T, pneSub("ext-1", "ext-1", "-c", "-C", "1", "-W", "20", "-t", topic));
        assertEquals("for-ext-1", got.stdout().strip(), got.toString());
        final Tools.Result snooped = Tools.run(dir, T, pneSub("ext-2", "ext-2", "-c", "-C", "1", "-W", "3", "-t", topic));
        assertFalse(snooped.stdout().contains("for-ext-1"), "ext-2 read ext-1's delivery (" + snoopSubscribe + ")");
    }

    @Test
    @DisplayName("R4 a client without a certificate from the PAN CA cannot connect to the PNE listener")
    void noCertificate_refused() throws Exception {
        final Tools.Result r = Tools.run(dir, T, List.of("mosquitto_sub", "-h", "localhost", "-p", String.valueOf(tlsPort),
                "--cafile", "pan-ca.pem", "-i", "anon", "-q", "1", "-E", "-t", "cpns/pan/anon/key-delivery"));
        assertFalse(r.ok(), r.toString());
    }

    private static List<String> pne(final String entity, final String clientId, final String... args) {
        return tls("mosquitto_pub", entity, clientId, args);
    }

    private static List<String> pneSub(final String entity, final String clientId, final String... args) {
        return tls("mosquitto_sub", entity, clientId, args);
    }

    private static List<String> tls(final String tool, final String entity, final String clientId, final String... args) {
        final List<String> cmd = new ArrayList<>(List.of(tool, "-h", "localhost", "-p", String.valueOf(tlsPort),
                "--cafile", "pan-ca.pem", "--cert", entity + "-cert.pem", "--key", entity + "-key.pem",
                "-i", clientId, "-q", "1"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static List<String> gateway(final String clientId, final String... args) {
        final List<String> cmd = new ArrayList<>(List.of("mosquitto_sub", "-h", "127.0.0.1", "-p",
                String.valueOf(gatewayPort), "-u", "cpns-gateway", "-P", GW_PASSWORD, "-i", clientId, "-q", "1"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static List<String> gatewayPub(final String... args) {
        final List<String> cmd = new ArrayList<>(List.of("mosquitto_pub", "-h", "127.0.0.1", "-p",
                String.valueOf(gatewayPort), "-u", "cpns-gateway", "-P", GW_PASSWORD, "-i", "gw-pub", "-q", "1"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static boolean accepts(final int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
