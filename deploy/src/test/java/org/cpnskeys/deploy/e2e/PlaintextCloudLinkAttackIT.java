package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import org.cpnskeys.deploy.Cpns;
import org.cpnskeys.deploy.GatewayCloudOptions;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;
import org.cpnskeys.protocol.mqtt.PlaintextPolicy;
import org.cpnskeys.server.auth.HtdigestFile;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import picocli.CommandLine;

/**
 * Threat: a cloud leg that runs in plain text because nobody asked for TLS ([H] 1): everything on it is readable
 * (see {@link CloudCaptureAttackIT}). A plain link to a host that is not loopback is refused at start, by the
 * gateway and by the server (the real {@code cpns} commands, through their picocli entry), before anything is
 * created or connected, with a message that says why and what to do; loopback stays allowed;
 * {@code --insecure-plaintext} allows it and warns at every start; and {@code cpns server} with no TLS option
 * answers nothing to plain MQTT on its cloud port.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class PlaintextCloudLinkAttackIT {
    /** TEST-NET-1 (RFC 5737): not loopback, and nobody answers there. */
    private static final String REMOTE = "192.0.2.1";

    @TempDir
    Path dir;

    @Test
    @DisplayName("cpns gateway --cloud-host <not loopback> without TLS exits non-zero before starting, saying why and what to do")
    void gateway_plainToRemoteHost_refusedAtStart() throws IOException {
        final Path token = Files.writeString(dir.resolve("gw.token"), "some-token\n");
        final Path data = dir.resolve("gateway");
        final StringWriter err = new StringWriter();
        final CommandLine cli = Cpns.commandLine();
        cli.setErr(new PrintWriter(err));
        final int code = cli.execute("gateway", "--data", data.toString(), "--cloud-host", REMOTE,
                "--cloud-token-file", token.toString(), "--management-port", "-1");
        assertNotEquals(0, code);
        final String message = err.toString();
        assertTrue(message.contains("refusing a plain cloud link to " + REMOTE), message);
        assertTrue(message.contains("anyone on the path could read"), "says why: " + message);
        assertTrue(message.contains("--cloud-config") && message.contains(PlaintextPolicy.INSECURE_OPTION),
                "says what to do: " + message);
        assertFalse(Files.exists(data), "nothing was started: the gateway made no state");
    }

    @Test
    @DisplayName("cpns server --broker-host <not loopback> without --broker-ca exits non-zero before starting, saying why")
    void server_plainToRemoteBroker_refusedAtStart() throws IOException {
        final Path secret = Files.writeString(dir.resolve("broker.secret"), "some-secret\n");
        final Path data = dir.resolve("server");
        final StringWriter err = new StringWriter();
        final CommandLine cli = Cpns.commandLine();
        cli.setErr(new PrintWriter(err));
        final int code = cli.execute("server", "--data", data.toString(), "--broker-host", REMOTE,
                "--broker-secret-file", secret.toString(), "--management-port", "-1", "--admin-port", "-1");
        assertNotEquals(0, code);
        final String message = err.toString();
        assertTrue(message.contains("refusing plain MQTT broker link to " + REMOTE), message);
        assertTrue(message.contains("--broker-ca") && message.contains(PlaintextPolicy.INSECURE_OPTION),
                "says what to do: " + message);
        assertFalse(Files.exists(data), "nothing was started: the server made no state");
    }

    @Test
    @DisplayName("a plain link to a loopback name is allowed (every address it resolves to is loopback)")
    void plainToLoopback_allowed() throws IOException {
        for (final String host : List.of("localhost", "127.0.0.1", "127.0.0.2")) {
            assertTrue(PlaintextPolicy.isLoopback(host), host);
            assertFalse(MqttEndpoint.plain(host, 1883, "gw", "t").tls());
        }
        assertFalse(PlaintextPolicy.isLoopback(REMOTE));
        assertFalse(PlaintextPolicy.isLoopback("no-such-host.invalid"), "a name that does not resolve is not loopback");
        assertThrows(IllegalArgumentException.class, () -> MqttEndpoint.plain(REMOTE, 1883, "gw", "t"));
        final Path token = Files.writeString(dir.resolve("gw.token"), "some-token\n");
        assertFalse(resolve("--cloud-host", "localhost", "--cloud-token-file", token.toString()).tls(),
                "the gateway links to a broker on its own machine without TLS");
    }

    @Test
    @DisplayName("--insecure-plaintext allows a plain link to another host, and warns at every start")
    void insecurePlaintext_allowedWithWarningEachTime() throws IOException {
        final Path token = Files.writeString(dir.resolve("gw.token"), "some-token\n");
        final Logger logger = (Logger) LoggerFactory.getLogger(PlaintextPolicy.class);
        final ListAppender<ILoggingEvent> warnings = new ListAppender<>();
        warnings.start();
        logger.addAppender(warnings);
        try {
            for (int start = 1; start <= 2; start++) {
                final MqttEndpoint cloud = resolve("--cloud-host", REMOTE, "--cloud-token-file", token.toString(),
                        "--insecure-plaintext");
                assertFalse(cloud.tls());
                assertEquals(REMOTE, cloud.host());
                final int s = start;
                assertEquals(start, warnings.list.stream().filter(e -> e.getLevel() == Level.WARN
                        && e.getFormattedMessage().startsWith("INSECURE") && e.getFormattedMessage().contains(REMOTE))
                        .count(), () -> "one warning per start, start " + s);
            }
            assertFalse(warnings.list.stream().anyMatch(e -> e.getFormattedMessage().contains("some-token")),
                    "the warning never shows the token");
        } finally {
            logger.detachAppender(warnings);
        }
    }

    @Test
    @DisplayName("cpns server with no TLS option serves TLS on its cloud port and answers nothing to plain MQTT there")
    void serverDefaults_plainMqttConnect_getsNoConnack() throws Exception {
        final Path data = dir.resolve("server");
        HtdigestFile.addOrReplace(data.resolve("users.htdigest"), UserId.of("alice"), "cpns", "pw".toCharArray());
        final int port = freePort();
        final List<String> output = new CopyOnWriteArrayList<>();
        final Process server = startServer(data, port, output);
        try {
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                socket.setSoTimeout(20_000);
                socket.getOutputStream().write(mqtt311Connect("gw", "token"));
                socket.getOutputStream().flush();
                final InputStream in = socket.getInputStream();
                int first;
                try {
                    first = in.read();
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("the broker neither answered nor closed within 20 s", e);
                } catch (IOException reset) {
                    first = -1; // the TLS listener dropped the connection: no answer, as required
                }
                assertNotEquals(0x20, first, "the port answered a plain CONNECT with a CONNACK");
                assertTrue(first == -1 || first == 0x15, "only a TLS alert or a close, not MQTT: first byte " + first);
            }
            assertTrue(output.stream().anyMatch(l -> l.contains("cloud CA fingerprint")), "the CA's fingerprint is printed");
        } finally {
            server.destroy();
            server.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static MqttEndpoint resolve(final String... args) {
        final GatewayCloudOptions options = new GatewayCloudOptions();
        new CommandLine(options).parseArgs(args);
        return options.resolve("home-gw", false, "cpns", false).cloud();
    }

    /** An MQTT 3.1.1 CONNECT with user name and password (OASIS MQTT 3.1.1, section 3.1). */
    private static byte[] mqtt311Connect(final String user, final String password) {
        final byte[] u = user.getBytes(StandardCharsets.UTF_8);
        final byte[] p = password.getBytes(StandardCharsets.UTF_8);
        final byte[] id = user.getBytes(StandardCharsets.UTF_8);
        final java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        body.writeBytes(new byte[] {0, 4, 'M', 'Q', 'T', 'T', 4, (byte) 0xC2, 0, 30});
        for (final byte[] field : List.of(id, u, p)) {
            body.write(field.length >> 8);
            body.write(field.length & 0xff);
            body.writeBytes(field);
        }
        final java.io.ByteArrayOutputStream packet = new java.io.ByteArrayOutputStream();
        packet.write(0x10);
        packet.write(body.size());
        packet.writeBytes(body.toByteArray());
        return packet.toByteArray();
    }

    private static Process startServer(final Path data, final int port, final List<String> output)
            throws IOException, InterruptedException {
        final Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.cpnskeys.deploy.Cpns", "server",
                "--data", data.toString(), "--port", Integer.toString(port), "--management-port", "-1",
                "--admin-port", "-1")
                .redirectErrorStream(true).start();
        final CountDownLatch ready = new CountDownLatch(1);
        final Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    output.add(line);
                    if (line.contains("CPNS Server ready")) {
                        ready.countDown();
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "server-output");
        reader.setDaemon(true);
        reader.start();
        assertTrue(ready.await(90, TimeUnit.SECONDS), "the server process started:\n" + String.join("\n", output));
        return p;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
