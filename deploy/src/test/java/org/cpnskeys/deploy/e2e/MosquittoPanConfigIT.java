package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * {@code mosquitto} with certificates from the gateway's PAN CA: its topic rules are PanAccessPolicy's, checked
 * here at the broker alone (the whole flow over it is {@link ForeignDeviceMosquittoPanIT}).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MosquittoPanConfigIT {
    static final Duration T = Duration.ofSeconds(30);
    static final String GW_PASSWORD = MosquittoPan.randomPassword();

    @TempDir
    static Path dir;
    static MosquittoPan mosquitto;
    static int tlsPort;
    static int gatewayPort;

    @BeforeAll
    static void start() throws Exception {
        MosquittoPan.require();
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(dir.resolve("ca"), "ext-gw");
        Files.writeString(dir.resolve("pan-ca.pem"), ca.caCertificatePem());
        Files.writeString(dir.resolve("pan-crl.pem"), ca.issueCrlPem(List.of()));
        ca.issueServer(List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1))
                .writePem(dir.resolve("pan-broker-key.pem"), dir.resolve("pan-broker.pem"));
        for (final String e : List.of("ext-1", "ext-2")) {
            ca.issueDevice(EntityId.of(e), Duration.ofDays(1)).writePem(dir.resolve(e + "-key.pem"), dir.resolve(e + "-cert.pem"));
        }
        mosquitto = MosquittoPan.start(dir, GW_PASSWORD);
        tlsPort = mosquitto.tlsPort;
        gatewayPort = mosquitto.gatewayPort;
    }

    @AfterAll
    static void stop() throws Exception {
        if (mosquitto != null) {
            mosquitto.close();
        }
    }

    @Test
    @DisplayName("P8 a PNE's key request reaches the gateway; one forged under another entity's topic does not")
    void pneRequest_reachesGateway_forgedDoesNot() throws Exception {
        assertTrue(Tools.run(dir, T, gateway("gw-sub", "-c", "-E", "-t", "cpns/pan/+/key-request")).ok());
        assertTrue(Tools.run(dir, T, pne("ext-1", "ext-1", "-t", "cpns/pan/ext-2/key-request", "-m", "forged")).ok());
        assertTrue(Tools.run(dir, T, pne("ext-1", "ext-1", "-t", "cpns/pan/ext-1/key-request", "-m", "genuine")).ok());
        final Tools.Result got = Tools.run(dir, T, gateway("gw-sub", "-c", "-C", "1", "-W", "20", "-v",
                "-t", "cpns/pan/+/key-request"));
        assertEquals("cpns/pan/ext-1/key-request genuine", got.stdout().strip(), got.toString());
    }

    @Test
    @DisplayName("P8 the gateway's reply reaches its PNE, and no other PNE can read it")
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
}
