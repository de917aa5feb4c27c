package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;

import org.cpnskeys.gateway.pan.DeviceRegister;
import org.cpnskeys.protocol.tls.IssuedIdentity;
import org.cpnskeys.gateway.pan.PanCertificateAuthority;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.Topics;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack (issue [H] 4a): a device that takes a name of the system's own. Enrolled as {@code cpns-gateway} (or
 * any {@code cpns-} name) it would, on a broker that keys its rules on the certificate's CN (Mosquitto's acl), get
 * the gateway's topics: every PNE's Key Requests, and the right to answer them. And on Mosquitto, where a client
 * id is whatever the client sends, an enrolled device connecting with the gateway's client id (or another
 * device's) would take over that session, throwing the gateway (or the device) off the PAN.
 *
 * <p>Shown here: {@code cpns gateway enroll} refuses such names by bundle and by CSR, with a message that says
 * what to do; the shipped Mosquitto PAN configuration (Debian's mosquitto run as {@link MosquittoPanConfigIT}
 * runs it) binds a device's client id to its certificate's CN, so the gateway's and another device's live
 * connections survive a device that sends their client ids.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PanIdentityAttackIT {
    private static final Duration T = Duration.ofSeconds(30);
    private static final String GW_PASSWORD = MosquittoPan.randomPassword();

    @TempDir
    static Path dir;
    static PanCertificateAuthority ca;

    @BeforeAll
    static void ca() throws Exception {
        ca = PanCertificateAuthority.loadOrCreate(dir.resolve("gateway").resolve("pan-ca"), "home-gw");
    }

    @Test
    @DisplayName("4a 'cpns gateway enroll --entity' refuses the gateway's own name and every cpns- name, issuing nothing")
    void bundleEnrollment_reservedNames_refused() throws Exception {
        for (final String name : List.of("cpns-gateway", "cpns-gateway-0", "cpns-server-1", "CPNS-x")) {
            final Path out = dir.resolve("bundle-" + name);
            final String said = ForeignPneContract.cpns(2, "gateway", "enroll", "--data", gatewayData(), "--entity",
                    name, "--out", out.toString());
            assertTrue(said.contains("reserved") && said.contains("another Entity ID"), said);
            assertFalse(Files.exists(out.resolve(name + "-cert.pem")), "a certificate was written for " + name);
        }
        assertTrue(DeviceRegister.open(dir.resolve("gateway")).entries().stream()
                .noneMatch(e -> e.entity().value().toLowerCase().startsWith("cpns-")), "nothing reserved is enrolled");
        // an ordinary name is still enrolled
        ForeignPneContract.cpns(0, "gateway", "enroll", "--data", gatewayData(), "--entity", "sensor-1", "--out",
                dir.resolve("bundle-ok").toString());
    }

    @Test
    @DisplayName("4a 'cpns gateway enroll --csr' refuses a request whose CN is the gateway's own name")
    void csrEnrollment_gatewaysName_refused() throws Exception {
        Tools.require(ForeignPneContract.REQUIRE, "openssl", "openssl");
        final Path device = Files.createDirectories(dir.resolve("csr-attacker"));
        final Tools.Result req = Tools.run(device, T, List.of("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "device-key.pem", "-out", "device.csr",
                "-subj", "/CN=cpns-gateway"));
        assertTrue(req.ok(), "openssl req: " + req);
        final String said = ForeignPneContract.cpns(2, "gateway", "enroll", "--data", gatewayData(), "--csr",
                device.resolve("device.csr").toString(), "--out", device.toString());
        assertTrue(said.contains("reserved"), said);
        assertFalse(Files.exists(device.resolve("cpns-gateway-cert.pem")), "a certificate was written");
    }

    @Test
    @DisplayName("4a on the shipped Mosquitto PAN config a device sending the gateway's or another device's client id"
            + " takes over neither session")
    void mosquittoPan_deviceSendsOthersClientIds_sessionsSurvive() throws Exception {
        MosquittoPan.require();
        final Path tls = Files.createDirectories(dir.resolve("mosquitto"));
        Files.writeString(tls.resolve("pan-ca.pem"), ca.caCertificatePem());
        Files.writeString(tls.resolve("pan-crl.pem"), ca.issueCrlPem(List.of()));
        ca.issueServer(List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1))
                .writePem(tls.resolve("pan-broker-key.pem"), tls.resolve("pan-broker.pem"));
        final IssuedIdentity victim = ca.issueDevice(EntityId.of("victim-1"), Duration.ofDays(1));
        ca.issueDevice(EntityId.of("attacker-1"), Duration.ofDays(1))
                .writePem(tls.resolve("attacker-1-key.pem"), tls.resolve("attacker-1-cert.pem"));
        try (MosquittoPan mosquitto = MosquittoPan.start(tls, GW_PASSWORD)) {
            final Mqtt3AsyncClient gateway = MqttClient.builder().useMqttVersion3().identifier("cpns-gateway-live")
                    .serverHost("127.0.0.1").serverPort(mosquitto.gatewayPort).buildAsync();
            gateway.connectWith().simpleAuth().username(MosquittoPan.GATEWAY_USER)
                    .password(GW_PASSWORD.getBytes(StandardCharsets.UTF_8)).applySimpleAuth().send()
                    .get(20, TimeUnit.SECONDS);
            final Mqtt3AsyncClient device = MqttClient.builder().useMqttVersion3().identifier("victim-1")
                    .serverHost("localhost").serverPort(mosquitto.tlsPort).sslConfig()
                    .keyManagerFactory(keys(victim)).trustManagerFactory(trust()).applySslConfig().buildAsync();
            device.connect().get(20, TimeUnit.SECONDS);
            try {
                for (final String stolenId : List.of("cpns-gateway-live", "victim-1")) {
                    final Tools.Result attack = Tools.run(tls, T, attackerPublish(mosquitto.tlsPort, stolenId));
                    assertTrue(attack.ok(), "the attacker's own connection is accepted (under its own id): " + attack);
                }
                // a take-over closes the older connection at the newer CONNECT: give the close a bounded moment
                final long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                while (System.nanoTime() < end && gateway.getState().isConnected() && device.getState().isConnected()) {
                    java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
                }
                assertTrue(gateway.getState().isConnected(), "the gateway's session was taken over: " + mosquitto.log());
                assertTrue(device.getState().isConnected(), "victim-1's session was taken over: " + mosquitto.log());
                assertTrue(mosquitto.log().contains(" as attacker-1 "), "Mosquitto gave the attacker its CN as client id: "
                        + mosquitto.log());
            } finally {
                gateway.disconnect();
                device.disconnect();
            }
        }
    }

    @Test
    @DisplayName("4a on the shipped Mosquitto cloud config a gateway sending a server's client id does not take its session")
    void mosquittoCloud_gatewaySendsServersClientId_serverSessionSurvives() throws Exception {
        MosquittoPan.require();
        final Path cloud = Files.createDirectories(dir.resolve("mosquitto-cloud"));
        final Path shipped = Path.of("mosquitto", "cloud");
        for (final String file : List.of("acl", "acl-server")) {
            Files.copy(shipped.resolve(file), cloud.resolve(file));
        }
        final int gatewayPort = MosquittoPan.freePort();
        final int serverPort = MosquittoPan.freePort();
        final String conf = "user root\n" + Files.readString(shipped.resolve("mosquitto.conf"))
                .replace("/mosquitto/config/", "")
                .replace("listener 8883\n", "listener " + gatewayPort + " 127.0.0.1\n")
                .replace("listener 8885\n", "listener " + serverPort + " 127.0.0.1\n");
        assertTrue(conf.contains("listener " + gatewayPort) && conf.contains("listener " + serverPort),
                "the shipped cloud mosquitto.conf changed its listeners");
        Files.writeString(cloud.resolve("mosquitto.conf"), conf);
        final org.cpnskeys.protocol.tls.CertificateAuthority ca = org.cpnskeys.broker.CloudTls.cloudCa(cloud.resolve("ca"));
        final Path certs = Files.createDirectories(cloud.resolve("certs"));
        ca.issueServer(List.of("localhost"), List.of("127.0.0.1"),
                org.cpnskeys.protocol.tls.CertificateAuthority.DEFAULT_LEAF_VALIDITY)
                .writePem(certs.resolve("cloud-broker-key.pem"), certs.resolve("cloud-broker.pem"));
        Files.writeString(certs.resolve("cloud-ca.pem"), ca.caCertificatePem());
        final String serverSecret = MosquittoPan.randomPassword();
        final String gatewayToken = MosquittoPan.randomPassword();
        assertTrue(Tools.run(cloud, T, List.of("mosquitto_passwd", "-b", "-c", "passwd-server", "cpns-server",
                serverSecret)).ok());
        assertTrue(Tools.run(cloud, T, List.of("mosquitto_passwd", "-b", "-c", "passwd", "home-gw", gatewayToken)).ok());
        final Process mosquitto = new ProcessBuilder("mosquitto", "-c", "mosquitto.conf").directory(cloud.toFile())
                .redirectErrorStream(true).redirectOutput(cloud.resolve("mosquitto.log").toFile()).start();
        try {
            final long up = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!MosquittoPan.accepts(gatewayPort) || !MosquittoPan.accepts(serverPort)) {
                assertTrue(mosquitto.isAlive() && System.nanoTime() < up, "mosquitto did not listen: "
                        + Files.readString(cloud.resolve("mosquitto.log")));
                mosquitto.waitFor(50, TimeUnit.MILLISECONDS);
            }
            final String serverId = "cpns-server-" + java.util.UUID.randomUUID();
            final Mqtt3AsyncClient server = MqttClient.builder().useMqttVersion3().identifier(serverId)
                    .serverHost("localhost").serverPort(serverPort)
                    .sslConfig(org.cpnskeys.deploy.HiveMqClientTls.trusting(ca.caCertificatePem())).buildAsync();
            server.connectWith().simpleAuth().username("cpns-server").password(serverSecret.getBytes(StandardCharsets.UTF_8))
                    .applySimpleAuth().send().get(20, TimeUnit.SECONDS);
            try {
                final Tools.Result attack = Tools.run(cloud, T, List.of("mosquitto_pub", "-h", "localhost",
                        "--cafile", "certs/cloud-ca.pem", "-p", String.valueOf(gatewayPort), "-u", "home-gw", "-P", gatewayToken,
                        "-i", serverId, "-q", "1",
                        "-t", Topics.cloud(GatewayId.of("home-gw"), 0, Topics.KEY_REQUEST), "-m", "{}"));
                assertTrue(attack.ok(), "the gateway's own connection is accepted (under its own id): " + attack);
                final long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                while (System.nanoTime() < end && server.getState().isConnected()) {
                    java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
                }
                assertTrue(server.getState().isConnected(), "the server's session was taken over: "
                        + Files.readString(cloud.resolve("mosquitto.log")));
                final Tools.Result asServer = Tools.run(cloud, T, List.of("mosquitto_pub", "-h", "localhost",
                        "--cafile", "certs/cloud-ca.pem", "-p", String.valueOf(gatewayPort), "-u", "cpns-server", "-P", serverSecret,
                        "-i", serverId, "-q", "1",
                        "-t", Topics.cloud(GatewayId.of("home-gw"), 0, Topics.KEY_DELIVERY), "-m", "{}"));
                assertFalse(asServer.ok(), "the servers' account is not accepted on the gateways' listener: " + asServer);
            } finally {
                server.disconnect();
            }
        } finally {
            mosquitto.destroy();
            mosquitto.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static List<String> attackerPublish(final int port, final String clientId) {
        return new ArrayList<>(List.of("mosquitto_pub", "-h", "localhost", "-p", String.valueOf(port), "--cafile",
                "pan-ca.pem", "--cert", "attacker-1-cert.pem", "--key", "attacker-1-key.pem", "-i", clientId, "-q", "1",
                "-t", "cpns/pan/attacker-1/key-request", "-m", "{}"));
    }

    private static KeyManagerFactory keys(final IssuedIdentity identity) throws Exception {
        final char[] pw = "test".toCharArray();
        final KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(new ByteArrayInputStream(identity.toPkcs12(pw)), pw);
        final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        return kmf;
    }

    private static TrustManagerFactory trust() throws Exception {
        final KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("pan-ca", CertificateFactory.getInstance("X.509").generateCertificate(
                new ByteArrayInputStream(ca.caCertificatePem().getBytes(StandardCharsets.US_ASCII))));
        final TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        return tmf;
    }

    private static String gatewayData() {
        return dir.resolve("gateway").toString();
    }
}
