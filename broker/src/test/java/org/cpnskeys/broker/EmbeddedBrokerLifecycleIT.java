package org.cpnskeys.broker;

import static org.cpnskeys.broker.TestClients.await;
import static org.cpnskeys.broker.TestClients.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.embedded.EmbeddedHiveMQ;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.cpnskeys.broker.TestClients.Client;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Starting, ports, files and stopping; this class's TLS listener uses JKS stores (the others use PKCS#12). */
@Timeout(120)
class EmbeddedBrokerLifecycleIT {
    private static final String USER = "tester";
    private static final String SECRET = "tester-secret-0123456789abcdef";

    @TempDir
    static Path folder;

    private static TestPki pki;
    private static EmbeddedBroker broker;
    private static Path dataFolder;
    private static Map<String, String> hivemqJarFolderBefore;
    private static String logFolderPropertyAfterStart;

    private final TestClients clients = new TestClients();

    /** Lets the test user in with publish and subscribe rights on test/#. */
    static final class TesterPolicy implements BrokerAccessPolicy {
        private final ClientSecrets secrets = HashedSecrets.of(
                Map.of(USER, HashedSecrets.sha256(SECRET.getBytes(StandardCharsets.UTF_8))));

        @Override
        public Optional<ClientPrincipal> authenticate(final ConnectAttempt attempt) {
            return attempt.username().filter(USER::equals)
                    .filter(user -> secrets.verify(user, attempt.password().orElse(new byte[0])))
                    .map(user -> new ClientPrincipal(user, ClientPrincipal.Role.SERVER));
        }

        @Override
        public List<TopicRule> rules(final ClientPrincipal principal) {
            return List.of(new TopicRule("test/#", TopicRule.Activity.BOTH, false));
        }
    }

    @BeforeAll
    static void startBroker() throws IOException {
        hivemqJarFolderBefore = snapshot(hivemqJarFolder());
        pki = TestPki.create("Lifecycle CA");
        dataFolder = folder.resolve("broker");
        final BrokerConfig config = BrokerConfig.of(dataFolder, Optional.of(TcpListenerConfig.loopback(0)),
                Optional.of(pki.listener(folder.resolve("tls"), "JKS", true)));
        broker = EmbeddedBroker.create(config, new TesterPolicy());
        await(broker.start());
        logFolderPropertyAfterStart = System.getProperty("hivemq.log.folder");
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @AfterEach
    void disconnectClients() {
        clients.closeAll();
    }

    @Test
    void start_portZero_reportsBoundTcpAndTlsPorts() throws InterruptedException {
        assertTrue(broker.tcpPort() > 0);
        assertTrue(broker.tlsPort() > 0);
        assertNotEquals(broker.tcpPort(), broker.tlsPort());

        final Client plain = clients.tcp(broker.tcpPort(), "plain");
        plain.connect(USER, SECRET);
        await(plain.subscribe("test/+"));
        final Client secure = clients.tls(broker.tlsPort(), "secure", pki, pki.client("secure"));
        secure.connect(USER, SECRET);
        await(secure.publish("test/hello", "over tls"));

        assertEquals("over tls", text(plain.next()));
    }

    @Test
    void start_startedTwice_returnsSameFuture() {
        assertSame(broker.start(), broker.start());
    }

    @Test
    void start_default_writesOnlyInsideDataFolder() throws IOException {
        final Path config = dataFolder.resolve("conf").resolve("config.xml");
        assertTrue(Files.isRegularFile(config));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(config)));
        assertTrue(Files.isDirectory(dataFolder.resolve("data")));
        assertTrue(Files.isDirectory(dataFolder.resolve("extensions")));
        assertEquals(dataFolder.resolve("log").toString(), logFolderPropertyAfterStart);
        assertEquals(hivemqJarFolderBefore, snapshot(hivemqJarFolder()), "nothing written beside the HiveMQ jar");
        final String xml = Files.readString(config);
        assertTrue(xml.contains("<server-receive-maximum>1000</server-receive-maximum>"));
        assertTrue(xml.contains("<mode>in-memory</mode>"));
        assertTrue(xml.contains("<client-authentication-mode>REQUIRED</client-authentication-mode>"));
    }

    @Test
    void connect_wrongPassword_refused() {
        final Client client = clients.tcp(broker.tcpPort(), "wrong");

        TestClients.assertNotAuthorized(() -> client.connect(USER, "wrong"));
    }

    @Test
    void ports_beforeStartOrNotConfigured_throwIllegalState() {
        final EmbeddedBroker unstarted = EmbeddedBroker.create(BrokerConfig.of(folder.resolve("unstarted"),
                Optional.of(TcpListenerConfig.loopback(0)), Optional.empty()), new TesterPolicy());

        assertThrows(IllegalStateException.class, unstarted::tcpPort);
        assertThrows(IllegalStateException.class, unstarted::tlsPort);
        assertTrue(unstarted.stop().isDone(), "stopping a broker never started completes at once");
    }

    @Test
    void start_fixedPortInUse_fails() throws IOException {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            final EmbeddedBroker clash = EmbeddedBroker.create(BrokerConfig.of(folder.resolve("clash"),
                    Optional.of(TcpListenerConfig.loopback(taken.getLocalPort())), Optional.empty()),
                    new TesterPolicy());

            final CompletionException failure = assertThrows(CompletionException.class, () -> clash.start().join());
            assertTrue(failure.getCause() instanceof IllegalStateException, failure.toString());
            clash.close();
        }
    }

    @Test
    void start_tlsKeyStorePasswordWrong_failsInsteadOfRunningTcpOnly() {
        final TlsListenerConfig good = pki.listener(folder.resolve("tls-bad"), "PKCS12", true);
        final TlsListenerConfig bad = new TlsListenerConfig(good.bindAddress(), 0, good.keyStore(), "wrong",
                "wrong", good.trustStore(), good.trustStorePassword(), true);
        final EmbeddedBroker broken = EmbeddedBroker.create(BrokerConfig.of(folder.resolve("bad-tls"),
                Optional.of(TcpListenerConfig.loopback(0)), Optional.of(bad)), new TesterPolicy());

        final CompletionException failure = assertThrows(CompletionException.class, () -> broken.start().join());
        assertFalse(failure.toString().contains("wrong"), "the failure does not quote the password");
        broken.close();
    }

    @Test
    void stop_startedBroker_closesListenerAndCannotRestart() throws IOException {
        final EmbeddedBroker second = EmbeddedBroker.create(BrokerConfig.of(folder.resolve("second"),
                Optional.of(TcpListenerConfig.loopback(0)), Optional.empty()), new TesterPolicy());
        await(second.start());
        final int port = second.tcpPort();
        try (Socket probe = new Socket(InetAddress.getLoopbackAddress(), port)) {
            assertTrue(probe.isConnected());
        }

        final CompletableFuture<Void> stopped = second.stop();
        assertSame(stopped, second.stop());
        await(stopped);
        second.close();

        assertThrows(IOException.class, () -> new Socket(InetAddress.getLoopbackAddress(), port).close());
        assertTrue(second.start().isCompletedExceptionally());
        // the first broker is still serving
        final Client client = clients.tcp(broker.tcpPort(), "still-there");
        client.connect(USER, SECRET);
        assertTrue(client.mqtt.getState().isConnected());
    }

    private static Path hivemqJarFolder() {
        try {
            return Path.of(EmbeddedHiveMQ.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                    .getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every path below {@code root} with its size and modification time. */
    private static Map<String, String> snapshot(final Path root) throws IOException {
        final Map<String, String> entries = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(root)) {
            for (final Path path : (Iterable<Path>) paths::iterator) {
                entries.put(root.relativize(path).toString(),
                        Files.size(path) + "@" + Files.getLastModifiedTime(path));
            }
        }
        return entries;
    }
}
