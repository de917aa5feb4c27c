package org.cpnskeys.hivemq;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.embedded.EmbeddedHiveMQ;
import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.client.parameter.ServerInformation;
import com.hivemq.extension.sdk.api.parameter.ExtensionInformation;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;

import org.cpnskeys.broker.HashedSecrets;
import org.cpnskeys.gateway.pan.DeviceRegister;
import org.cpnskeys.protocol.tls.IssuedIdentity;
import org.cpnskeys.gateway.pan.PanCertificateAuthority;
import org.cpnskeys.gateway.pan.PanCrlFiles;
import org.cpnskeys.protocol.EntityId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack (issue [H] 4c) on a standalone HiveMQ CE PAN broker with the cpns-pan-policy extension: a device the user
 * revoked stays connected, because the extension read the new CRL but only checked it at the next CONNECT. Here a
 * real HiveMQ (embedded, with the extension's own {@link PanPolicyExtensionMain} given its folder, as HiveMQ gives
 * it from {@code extensions/cpns-pan-policy}) runs the shipped listener setup (mutual TLS, PAN CA trust store); the
 * gateway's own code revokes the device and rewrites the CRL, as {@code cpns gateway revoke} does; the device is
 * disconnected within a second, and another device is not.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RevocationAttackIT {
    private static final char[] STORE_PASSWORD = "store-pass".toCharArray();

    private Path gateway;
    private PanCertificateAuthority ca;
    private DeviceRegister register;
    private EmbeddedHiveMQ hivemq;
    private int tlsPort;

    @BeforeAll
    void start(@TempDir final Path dir) throws Exception {
        gateway = Files.createDirectories(dir.resolve("gateway"));
        ca = PanCertificateAuthority.loadOrCreate(gateway.resolve("pan-ca"), "home-gw");
        register = DeviceRegister.open(gateway);
        final Path tls = Files.createDirectories(dir.resolve("tls"));
        ca.issueServer(List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1))
                .writePkcs12(tls.resolve("pan-broker.p12"), STORE_PASSWORD);
        ca.writeTrustStore(tls.resolve("pan-ca.p12"), STORE_PASSWORD);
        Files.writeString(tls.resolve("pan-ca.pem"), ca.caCertificatePem());
        PanCrlFiles.publish(gateway, tls.resolve(PanCrlFiles.DEFAULT_NAME), ca, register);

        final Path home = Files.createDirectories(dir.resolve("extensions").resolve("cpns-pan-policy"));
        Files.writeString(home.resolve(PanPolicySettings.FILE), "gateway-password-sha256="
                + HexFormat.of().formatHex(HashedSecrets.sha256("gw-pass".getBytes(StandardCharsets.UTF_8)))
                + "\nca-file=" + tls.resolve("pan-ca.pem") + "\ncrl-file=" + tls.resolve(PanCrlFiles.DEFAULT_NAME) + "\n");
        tlsPort = freePort();
        final Path conf = Files.createDirectories(dir.resolve("conf"));
        Files.writeString(conf.resolve("config.xml"), """
                <?xml version="1.0" encoding="UTF-8"?>
                <hivemq>
                    <listeners>
                        <tls-tcp-listener>
                            <port>%d</port>
                            <bind-address>127.0.0.1</bind-address>
                            <name>pan-pne-tls</name>
                            <tls>
                                <keystore>
                                    <path>%s</path>
                                    <password>%s</password>
                                    <private-key-password>%s</private-key-password>
                                </keystore>
                                <truststore>
                                    <path>%s</path>
                                    <password>%s</password>
                                </truststore>
                                <client-authentication-mode>REQUIRED</client-authentication-mode>
                            </tls>
                        </tls-tcp-listener>
                    </listeners>
                    <anonymous-usage-statistics><enabled>false</enabled></anonymous-usage-statistics>
                    <persistence><mode>in-memory</mode></persistence>
                </hivemq>
                """.formatted(tlsPort, tls.resolve("pan-broker.p12"), new String(STORE_PASSWORD),
                new String(STORE_PASSWORD), tls.resolve("pan-ca.p12"), new String(STORE_PASSWORD)));
        System.setProperty("hivemq.log.folder", Files.createDirectories(dir.resolve("log")).toString());
        final PanPolicyExtensionMain main = new PanPolicyExtensionMain();
        hivemq = EmbeddedHiveMQ.builder().withConfigurationFolder(conf)
                .withDataFolder(Files.createDirectories(dir.resolve("data")))
                .withExtensionsFolder(Files.createDirectories(dir.resolve("no-extensions")))
                .withEmbeddedExtension(EmbeddedExtension.builder().withId("cpns-pan-policy").withName("cpns-pan-policy")
                        .withVersion("1").withPriority(1000).withStartPriority(1000)
                        .withExtensionMain(new ExtensionMain() {
                            @Override
                            public void extensionStart(final ExtensionStartInput input, final ExtensionStartOutput output) {
                                main.extensionStart(inFolder(input, home), output);
                            }

                            @Override
                            public void extensionStop(final ExtensionStopInput input, final ExtensionStopOutput output) {
                                main.extensionStop(input, output);
                            }
                        }).build())
                .withoutLoggingBootstrap().build();
        hivemq.start().get(120, TimeUnit.SECONDS);
    }

    @AfterAll
    void stop() throws Exception {
        if (hivemq != null) {
            hivemq.stop().get(60, TimeUnit.SECONDS);
            hivemq.close();
        }
    }

    @Test
    void connectedDevice_revokedAndCrlRewritten_disconnectedWithinASecond() throws Exception {
        final Mqtt5AsyncClient revoked = connectedDevice("hmq-rev-1");
        final Mqtt5AsyncClient kept = connectedDevice("hmq-kept-1");
        try {
            // what 'cpns gateway revoke --entity hmq-rev-1' does
            register.revoke(EntityId.of("hmq-rev-1"));
            assertTrue(PanCrlFiles.republish(gateway, ca, register).size() == 1, "the CRL is rewritten");
            final long end = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            while (revoked.getState().isConnected() && System.nanoTime() < end) {
                LockSupport.parkNanos(20_000_000L);
            }
            assertTrue(!revoked.getState().isConnected(), "the revoked device is still connected a second later");
            assertTrue(kept.getState().isConnected(), "a device that was not revoked stays connected");
        } finally {
            kept.disconnect();
        }
    }

    private Mqtt5AsyncClient connectedDevice(final String entity) throws Exception {
        final IssuedIdentity identity = ca.issueDevice(EntityId.of(entity), Duration.ofDays(1));
        register.add(identity.certificate(), EntityId.of(entity), DeviceRegister.Method.GENERATED);
        final KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(new ByteArrayInputStream(identity.toPkcs12(STORE_PASSWORD)), STORE_PASSWORD);
        final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, STORE_PASSWORD);
        final KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(new ByteArrayInputStream(ca.trustStorePkcs12(STORE_PASSWORD)), STORE_PASSWORD);
        final TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        final Mqtt5AsyncClient client = MqttClient.builder().useMqttVersion5().identifier(entity).serverHost("localhost")
                .serverPort(tlsPort).sslConfig().keyManagerFactory(kmf).trustManagerFactory(tmf).applySslConfig()
                .buildAsync();
        client.connect().get(20, TimeUnit.SECONDS);
        return client;
    }

    /** HiveMQ's start input, with the extension folder a standalone HiveMQ would give the extension. */
    private static ExtensionStartInput inFolder(final ExtensionStartInput input, final Path home) {
        final ExtensionInformation info = input.getExtensionInformation();
        return new ExtensionStartInput() {
            @Override
            public ExtensionInformation getExtensionInformation() {
                return new ExtensionInformation() {
                    @Override
                    public String getId() {
                        return info.getId();
                    }

                    @Override
                    public String getVersion() {
                        return info.getVersion();
                    }

                    @Override
                    public String getName() {
                        return info.getName();
                    }

                    @Override
                    public Optional<String> getAuthor() {
                        return info.getAuthor();
                    }

                    @Override
                    public File getExtensionHomeFolder() {
                        return home.toFile();
                    }
                };
            }

            @Override
            public ServerInformation getServerInformation() {
                return input.getServerInformation();
            }

            @Override
            public Map<String, ExtensionInformation> getEnabledExtensions() {
                return input.getEnabledExtensions();
            }

            @Override
            public Optional<String> getPreviousVersion() {
                return input.getPreviousVersion();
            }
        };
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
