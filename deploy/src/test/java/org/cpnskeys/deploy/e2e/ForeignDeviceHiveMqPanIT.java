package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import javax.xml.XMLConstants;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.SchemaFactory;

import com.hivemq.embedded.EmbeddedHiveMQ;

import org.cpnskeys.broker.HashedSecrets;
import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The foreign PNE against a gateway whose PAN broker is HiveMQ CE run as a standalone HiveMQ would run: the
 * shipped {@code deploy/hivemq/conf/config.xml} as its configuration folder, and as its extensions folder the
 * extension zip Maven built ({@code hivemq-extension/target/cpns-pan-policy-hivemq-extension.zip}), unpacked, with its
 * {@code cpns-pan-policy.properties} filled in as an installer would. HiveMQ loads the extension from disk with its
 * own class loader; nothing of the policy is handed to it from this JVM. (It runs in this JVM through
 * hivemq-community-edition-embedded, the same broker as the hivemq-ce distribution.)
 *
 * <p>What is changed in the shipped config.xml: the two ports (free ones), the folder {@code /opt/hivemq/conf/}
 * (the test's TLS folder), and {@code ${ENV:CPNS_PAN_KEYSTORE_PASSWORD}}, which HiveMQ would take from its
 * environment and a test cannot set for its own JVM: it is replaced by the content of pan-keystore.pass.
 */
@DisplayName("foreign PNE, HiveMQ CE PAN broker from deploy/hivemq with the cpns-pan-policy extension")
class ForeignDeviceHiveMqPanIT extends ForeignPneContract {
    static final Path SHIPPED_CONFIG = Path.of("hivemq", "conf", "config.xml");
    static final Path BUILT_EXTENSION = Path.of("..", "hivemq-extension", "target", "cpns-pan-policy-hivemq-extension.zip");
    static final String EXTENSION = "cpns-pan-policy";

    private EmbeddedHiveMQ hivemq;
    private int gatewayPort;
    private String gatewayPassword;

    @Override
    Fixture startSystem(final Path dir) throws Exception {
        assertTrue(Files.isRegularFile(BUILT_EXTENSION), "the extension is built by the hivemq-extension module: "
                + BUILT_EXTENSION.toAbsolutePath());
        final Path system = dir.resolve("system");
        final Path tls = Files.createDirectories(dir.resolve("pan-broker"));
        cpns(0, "gateway", "pan-tls", "--data", system.resolve("gateway").toString(), "--out", tls.toString());
        gatewayPassword = MosquittoPan.randomPassword();
        final int tlsPort = MosquittoPan.freePort();
        gatewayPort = MosquittoPan.freePort();

        final Path home = Files.createDirectories(dir.resolve("hivemq"));
        final Path conf = Files.createDirectories(home.resolve("conf"));
        final String shipped = Files.readString(SHIPPED_CONFIG);
        final String config = shipped.replace("<port>8883</port>", "<port>" + tlsPort + "</port>")
                .replace("<bind-address>0.0.0.0</bind-address>", "<bind-address>127.0.0.1</bind-address>")
                .replace("<port>1884</port>", "<port>" + gatewayPort + "</port>")
                .replace("/opt/hivemq/conf/", tls + "/")
                .replace("${ENV:CPNS_PAN_KEYSTORE_PASSWORD}", Files.readString(tls.resolve("pan-keystore.pass")).strip());
        assertTrue(config.contains("<port>" + tlsPort + "</port>") && config.contains("<port>" + gatewayPort + "</port>")
                && !config.contains("${ENV:CPNS"), "the shipped config.xml changed its listeners or password placeholders");
        Files.writeString(conf.resolve("config.xml"), config);
        // HiveMQ falls back to its built-in configuration (open 0.0.0.0:1883) on a file it cannot read: check first
        SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI)
                .newSchema(EmbeddedHiveMQ.class.getResource("/config.xsd")).newValidator()
                .validate(new StreamSource(conf.resolve("config.xml").toFile()));

        final Path extensions = Files.createDirectories(home.resolve("extensions"));
        unzip(BUILT_EXTENSION, extensions);
        final Path settings = extensions.resolve(EXTENSION).resolve("cpns-pan-policy.properties");
        final String hash = HexFormat.of().formatHex(HashedSecrets.sha256(gatewayPassword.getBytes(StandardCharsets.UTF_8)));
        Files.writeString(settings, Files.readString(settings)
                .replace("gateway-password-sha256=\n", "gateway-password-sha256=" + hash + "\n")
                .replace("ca-file=/opt/hivemq/conf/pan-ca.pem", "ca-file=" + tls.resolve("pan-ca.pem"))
                .replace("crl-file=/opt/hivemq/conf/pan-crl.pem", "crl-file=" + tls.resolve("pan-crl.pem")));
        assertTrue(Files.readString(settings).contains(hash), "the shipped cpns-pan-policy.properties changed");

        hivemq = EmbeddedHiveMQ.builder().withConfigurationFolder(conf)
                .withDataFolder(Files.createDirectories(home.resolve("data")))
                .withExtensionsFolder(extensions).withoutLoggingBootstrap().build();
        hivemq.start().get(120, TimeUnit.SECONDS);
        return new Fixture(system, LocalSystem.Options.defaults().withExternalPan(new LocalSystem.ExternalPan(
                MqttEndpoint.plain("127.0.0.1", gatewayPort, MosquittoPan.GATEWAY_USER, gatewayPassword), tlsPort)));
    }

    @Override
    boolean readsCrl() {
        return true;
    }

    @Override
    void stopBroker() throws Exception {
        if (hivemq != null) {
            hivemq.stop().get(60, TimeUnit.SECONDS);
            hivemq.close();
        }
    }

    @Test
    @DisplayName("R4 the extension loaded from disk checks the gateway's account: a wrong password is refused")
    void gatewayAccount_wrongPasswordRefused_rightOneAccepted() throws Exception {
        final Duration t = Duration.ofSeconds(30);
        final Tools.Result wrong = Tools.run(dir, t, List.of("mosquitto_sub", "-h", "127.0.0.1", "-p",
                String.valueOf(gatewayPort), "-u", MosquittoPan.GATEWAY_USER, "-P", "not-" + gatewayPassword,
                "-i", MosquittoPan.GATEWAY_USER + "-probe", "-q", "1", "-E", "-t", "cpns/pan/+/key-request"));
        assertFalse(wrong.ok(), "a wrong gateway password must be refused: " + wrong);
        assertTrue(wrong.stderr().toLowerCase().contains("not authori"), wrong.toString());
        final Tools.Result right = Tools.run(dir, t, List.of("mosquitto_sub", "-h", "127.0.0.1", "-p",
                String.valueOf(gatewayPort), "-u", MosquittoPan.GATEWAY_USER, "-P", gatewayPassword,
                "-i", MosquittoPan.GATEWAY_USER + "-probe", "-q", "1", "-E", "-t", "cpns/pan/+/key-request"));
        assertTrue(right.ok(), "the gateway's own password is accepted: " + right);
    }

    private static void unzip(final Path zip, final Path into) throws IOException {
        try (InputStream in = Files.newInputStream(zip); ZipInputStream z = new ZipInputStream(in)) {
            for (ZipEntry e = z.getNextEntry(); e != null; e = z.getNextEntry()) {
                final Path target = into.resolve(e.getName()).normalize();
                assertTrue(target.startsWith(into), "zip entry outside the folder: " + e.getName());
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(z, target);
                }
            }
        }
    }
}
