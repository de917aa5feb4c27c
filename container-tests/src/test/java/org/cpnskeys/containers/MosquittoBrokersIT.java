package org.cpnskeys.containers;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;

import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.gateway.GatewayApplication;
import org.cpnskeys.protocol.tls.IssuedIdentity;
import org.cpnskeys.gateway.pan.PanCertificateAuthority;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;
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
 * P9: the whole flow with BOTH brokers being Mosquitto containers configured from deploy/mosquitto (the PAN
 * one with mutual TLS from the gateway's PAN CA): the server and the gateway run unchanged against them.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@RequiresDocker
class MosquittoBrokersIT {
    static final Path SHIPPED = Path.of("..", "deploy", "mosquitto");
    @TempDir
    static Path dir;
    static GenericContainer<?> pan;
    static GenericContainer<?> cloudBroker;
    static CloudSupport cloud;
    static PanCertificateAuthority ca;

    @BeforeAll
    static void start() throws Exception {
        final Path system = dir.resolve("system");
        ca = PanCertificateAuthority.loadOrCreate(system.resolve("gateway").resolve("pan-ca"), "home-gw");
        final Path tls = Files.createDirectories(dir.resolve("pan-tls"));
        ca.issueServer(List.of("localhost"), List.of("127.0.0.1"), GatewayApplication.SERVER_CERT_VALIDITY)
                .writePem(tls.resolve("pan-broker-key.pem"), tls.resolve("pan-broker.pem"));
        Files.writeString(tls.resolve("pan-ca.pem"), ca.caCertificatePem());
        Files.writeString(tls.resolve("pan-crl.pem"), ca.issueCrlPem(List.of()));
        final String gatewayPanPassword = Images.randomSecret();
        Files.writeString(tls.resolve("passwords"), Images.mosquittoPasswordLine("cpns-gateway", gatewayPanPassword) + "\n");
        // the shipped file keeps the gateway's listener on loopback; in a container it must be published instead
        Files.writeString(tls.resolve("mosquitto.conf"), Files.readString(SHIPPED.resolve("pan/mosquitto.conf"))
                .replace("listener 1884 127.0.0.1", "listener 1884"));
        GenericContainer<?> c = new GenericContainer<>(Images.MOSQUITTO)
                .withCopyFileToContainer(MountableFile.forHostPath(tls.resolve("mosquitto.conf"), 0644), "/mosquitto/config/mosquitto.conf")
                .withCopyFileToContainer(MountableFile.forHostPath(SHIPPED.resolve("pan/acl-pne"), 0644), "/mosquitto/config/acl-pne")
                .withCopyFileToContainer(MountableFile.forHostPath(SHIPPED.resolve("pan/acl-gateway"), 0644),
                        "/mosquitto/config/acl-gateway");
        for (final String f : List.of("passwords", "pan-ca.pem", "pan-crl.pem", "pan-broker.pem", "pan-broker-key.pem")) {
            c = c.withCopyFileToContainer(MountableFile.forHostPath(tls.resolve(f), 0644), "/mosquitto/config/" + f);
        }
        pan = c.withExposedPorts(8883, 1884).waitingFor(Wait.forLogMessage(".*mosquitto version .* running.*", 1));
        pan.start();

        final String serverSecret = Images.randomSecret();
        final String gatewayToken = Images.randomSecret();
        final Path passwd = dir.resolve("cloud-passwd");
        Files.writeString(passwd, Images.mosquittoPasswordLine("home-gw", gatewayToken) + "\n", StandardCharsets.US_ASCII);
        final Path passwdServer = dir.resolve("cloud-passwd-server");
        Files.writeString(passwdServer, Images.mosquittoPasswordLine("cpns-server", serverSecret) + "\n",
                StandardCharsets.US_ASCII);
        final MosquittoCloudTls cloudTls = MosquittoCloudTls.create(dir.resolve("cloud-tls"));
        cloudBroker = cloudTls.addTo(new GenericContainer<>(Images.MOSQUITTO))
                .withCopyFileToContainer(MountableFile.forHostPath(SHIPPED.resolve("cloud/mosquitto.conf"), 0644), "/mosquitto/config/mosquitto.conf")
                .withCopyFileToContainer(MountableFile.forHostPath(SHIPPED.resolve("cloud/acl"), 0644), "/mosquitto/config/acl")
                .withCopyFileToContainer(MountableFile.forHostPath(SHIPPED.resolve("cloud/acl-server"), 0644),
                        "/mosquitto/config/acl-server")
                .withCopyFileToContainer(MountableFile.forHostPath(passwd, 0644), "/mosquitto/config/passwd")
                .withCopyFileToContainer(MountableFile.forHostPath(passwdServer, 0644), "/mosquitto/config/passwd-server")
                .withExposedPorts(8883, 8885)
                .waitingFor(Wait.forLogMessage(".*mosquitto version .* running.*", 1));
        cloudBroker.start();

        cloud = new CloudSupport(system, LocalSystem.Options.defaults()
                .withExternalCloud(new LocalSystem.ExternalCloud("127.0.0.1", cloudBroker.getMappedPort(8883),
                        cloudBroker.getMappedPort(8885), serverSecret, gatewayToken, cloudTls.caPem()))
                .withExternalPan(new LocalSystem.ExternalPan(MqttEndpoint.plain(pan.getHost(), pan.getMappedPort(1884),
                        "cpns-gateway", gatewayPanPassword), pan.getMappedPort(8883))));
    }

    @AfterAll
    static void stop() {
        if (cloud != null) {
            cloud.close();
        }
        if (pan != null) {
            pan.stop();
        }
        if (cloudBroker != null) {
            cloudBroker.stop();
        }
    }

    @Test
    @DisplayName("P9 a PNE without UI gets its EUKey over a Mosquitto PAN (mutual TLS) and a Mosquitto cloud")
    void proxyPne_mosquittoPanAndCloud_keyAssigned() {
        cloud.assertAssigned("mqq-sensor-1", false);
    }

    @Test
    @DisplayName("P9 a PNE with UI gets its EUKey over a Mosquitto PAN and a Mosquitto cloud")
    void uiPne_mosquittoPanAndCloud_keyAssigned() {
        cloud.assertAssigned("mqq-phone-1", true);
    }

    @Test
    @DisplayName("R4 the shipped Mosquitto PAN refuses a device without a client certificate")
    void noClientCertificate_refused() throws Exception {
        final Mqtt5AsyncClient anonymous = MqttClient.builder().useMqttVersion5().identifier("anon")
                .serverHost("localhost").serverPort(pan.getMappedPort(8883))
                .sslConfig().trustManagerFactory(trust()).applySslConfig().buildAsync();
        assertThrows(Exception.class, () -> anonymous.connect().get(20, TimeUnit.SECONDS));
    }

    @Test
    @DisplayName("P9 the shipped Mosquitto PAN ACL refuses a PNE's Key Request under another entity's topic")
    void otherEntitysTopic_refused() throws Exception {
        final IssuedIdentity id = ca.issueDevice(EntityId.of("mqq-intruder"), GatewayApplication.DEVICE_CERT_VALIDITY);
        final char[] pw = "t".toCharArray();
        final KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(new ByteArrayInputStream(id.toPkcs12(pw)), pw);
        final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        final Mqtt5AsyncClient pne = MqttClient.builder().useMqttVersion5().identifier("mqq-intruder")
                .serverHost("localhost").serverPort(pan.getMappedPort(8883))
                .sslConfig().keyManagerFactory(kmf).trustManagerFactory(trust()).applySslConfig().buildAsync();
        pne.connect().get(20, TimeUnit.SECONDS);
        try {
            // Mosquitto answers a refused QoS-1 publish with a PUBACK error code (MQTT 5)
            assertThrows(Exception.class, () -> pne.publishWith().topic("cpns/pan/mqq-intruder/status")
                    .qos(MqttQos.AT_LEAST_ONCE).payload("x".getBytes(StandardCharsets.US_ASCII)).send()
                    .get(20, TimeUnit.SECONDS), "a PNE may not publish on its reply topics");
            assertThrows(Exception.class, () -> pne.publishWith().topic("cpns/pan/victim/key-request")
                    .qos(MqttQos.AT_LEAST_ONCE).payload("{}".getBytes(StandardCharsets.US_ASCII)).send()
                    .get(20, TimeUnit.SECONDS), "a PNE may not publish under another entity");
            final Mqtt5PublishResult own = pne.publishWith().topic("cpns/pan/mqq-intruder/key-request")
                    .qos(MqttQos.AT_LEAST_ONCE).payload("{\"v\":1}".getBytes(StandardCharsets.US_ASCII)).send()
                    .get(20, TimeUnit.SECONDS);
            assertTrue(own.getError().isEmpty(), "its own key-request topic is allowed");
        } finally {
            pne.disconnect().get(10, TimeUnit.SECONDS);
        }
    }

    private static TrustManagerFactory trust() throws Exception {
        final KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(
                new ByteArrayInputStream(ca.caCertificatePem().getBytes(StandardCharsets.US_ASCII))));
        final TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        return tmf;
    }
}
