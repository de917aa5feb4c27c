package org.cpnskeys.containers;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;

import org.cpnskeys.deploy.HiveMqClientTls;
import org.cpnskeys.deploy.LocalSystem;
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
 * P9: the CPNS flow with Mosquitto as the cloud broker, configured from the files shipped in
 * deploy/mosquitto/cloud (password file generated here, ACL as shipped).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@RequiresDocker
class MosquittoCloudBrokerIT {
    static final Path SHIPPED = Path.of("..", "deploy", "mosquitto", "cloud");
    @TempDir
    static Path dir;
    static GenericContainer<?> mosquitto;
    static CloudSupport cloud;
    static String gatewayToken;
    static String serverSecret;
    /** A second gateway's token: a probe under home-gw's user would take over the running gateway's session. */
    static String probeToken;
    static MosquittoCloudTls cloudTls;

    @BeforeAll
    static void start() throws Exception {
        serverSecret = Images.randomSecret();
        gatewayToken = Images.randomSecret();
        probeToken = Images.randomSecret();
        final Path passwd = dir.resolve("passwd");
        Files.writeString(passwd, Images.mosquittoPasswordLine("home-gw", gatewayToken) + "\n"
                + Images.mosquittoPasswordLine("probe-gw", probeToken) + "\n", StandardCharsets.US_ASCII);
        final Path passwdServer = dir.resolve("passwd-server");
        Files.writeString(passwdServer, Images.mosquittoPasswordLine("cpns-server", serverSecret) + "\n",
                StandardCharsets.US_ASCII);
        cloudTls = MosquittoCloudTls.create(dir.resolve("cloud-tls"));
        mosquitto = cloudTls.addTo(new GenericContainer<>(Images.MOSQUITTO))
                .withCopyFileToContainer(MountableFile.forHostPath(SHIPPED.resolve("mosquitto.conf"), 0644),
                        "/mosquitto/config/mosquitto.conf")
                .withCopyFileToContainer(MountableFile.forHostPath(SHIPPED.resolve("acl"), 0644), "/mosquitto/config/acl")
                .withCopyFileToContainer(MountableFile.forHostPath(SHIPPED.resolve("acl-server"), 0644),
                        "/mosquitto/config/acl-server")
                .withCopyFileToContainer(MountableFile.forHostPath(passwd, 0644), "/mosquitto/config/passwd")
                .withCopyFileToContainer(MountableFile.forHostPath(passwdServer, 0644), "/mosquitto/config/passwd-server")
                .withExposedPorts(8883, 8885)
                .waitingFor(Wait.forLogMessage(".*mosquitto version .* running.*", 1));
        mosquitto.start();
        cloud = new CloudSupport(dir.resolve("system"), new LocalSystem.ExternalCloud("127.0.0.1",
                mosquitto.getMappedPort(8883), mosquitto.getMappedPort(8885), serverSecret, gatewayToken,
                cloudTls.caPem()));
    }

    @AfterAll
    static void stop() {
        if (cloud != null) {
            cloud.close();
        }
        if (mosquitto != null) {
            mosquitto.stop();
        }
    }

    @Test
    @DisplayName("P9 a PNE without UI gets its EUKey through the gateway with Mosquitto as the cloud broker")
    void proxyPne_mosquittoCloud_keyAssigned() {
        cloud.assertAssigned("mq-sensor-1", false);
    }

    @Test
    @DisplayName("P9 a PNE with UI gets its EUKey with Mosquitto as the cloud broker")
    void uiPne_mosquittoCloud_keyAssigned() {
        cloud.assertAssigned("mq-phone-1", true);
    }

    @Test
    @DisplayName("P9 the shipped Mosquitto ACL keeps a gateway to its own replies and out of the servers' share")
    void gateway_otherGatewaysReplies_notDelivered() throws Exception {
        final java.util.concurrent.BlockingQueue<String> received = new java.util.concurrent.LinkedBlockingQueue<>();
        final Mqtt5AsyncClient gw = client("probe-gw", "probe-gw", probeToken, 8883);
        final Mqtt5AsyncClient server = client("cpns-server-probe", "cpns-server", serverSecret, 8885);
        try {
            final String others = org.cpnskeys.protocol.Topics.cloud(org.cpnskeys.protocol.GatewayId.of("other-gw"), 0,
                    org.cpnskeys.protocol.Topics.KEY_DELIVERY);
            final String own = org.cpnskeys.protocol.Topics.cloud(org.cpnskeys.protocol.GatewayId.of("probe-gw"), 0,
                    org.cpnskeys.protocol.Topics.STATUS);
            for (final String filter : java.util.List.of(others, own)) {
                // Mosquitto grants the SUBACK and enforces read access on delivery
                gw.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE)
                        .callback(p -> received.add(p.getTopic().toString())).send().get(20, TimeUnit.SECONDS);
            }
            server.publishWith().topic(others).qos(MqttQos.AT_LEAST_ONCE)
                    .payload("secret-for-other".getBytes(StandardCharsets.US_ASCII)).send().get(20, TimeUnit.SECONDS);
            server.publishWith().topic(own).qos(MqttQos.AT_LEAST_ONCE)
                    .payload("for-probe".getBytes(StandardCharsets.US_ASCII)).send().get(20, TimeUnit.SECONDS);
            org.junit.jupiter.api.Assertions.assertEquals(own, received.poll(20, TimeUnit.SECONDS));
            org.junit.jupiter.api.Assertions.assertNull(received.poll(1, TimeUnit.SECONDS),
                    "another gateway's reply was delivered");
        } finally {
            gw.disconnect().get(10, TimeUnit.SECONDS);
            server.disconnect().get(10, TimeUnit.SECONDS);
        }
        final Mqtt5AsyncClient wrong = MqttClient.builder().useMqttVersion5().identifier("intruder")
                .serverHost("127.0.0.1").serverPort(mosquitto.getMappedPort(8883))
                .sslConfig(HiveMqClientTls.trusting(cloudTls.caPem()))
                .simpleAuth().username("home-gw").password("wrong".getBytes(StandardCharsets.US_ASCII)).applySimpleAuth()
                .buildAsync();
        assertThrows(Exception.class, () -> wrong.connect().get(20, TimeUnit.SECONDS));
    }

    private static Mqtt5AsyncClient client(final String id, final String user, final String password, final int port)
            throws Exception {
        final Mqtt5AsyncClient c = MqttClient.builder().useMqttVersion5().identifier(id)
                .serverHost("127.0.0.1").serverPort(mosquitto.getMappedPort(port))
                .sslConfig(HiveMqClientTls.trusting(cloudTls.caPem()))
                .simpleAuth().username(user).password(password.getBytes(StandardCharsets.US_ASCII)).applySimpleAuth()
                .buildAsync();
        c.connect().get(20, TimeUnit.SECONDS);
        return c;
    }
}
