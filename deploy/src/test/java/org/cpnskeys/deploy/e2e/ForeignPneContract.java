package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.json.JsonObject;

import org.cpnskeys.deploy.Cpns;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.crypto.KeyCheckValue;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/**
 * A foreign device on the PAN, one test body for every PAN broker: Debian's {@code mosquitto_pub} and
 * {@code mosquitto_sub} play a PNE without UI, with a key made by {@code openssl req} (the key never leaves the
 * "device") and a certificate from {@code cpns gateway enroll --csr}, or with a generated bundle, against a running
 * gateway and server. Each subclass puts a different broker under the gateway: the embedded one, Debian's
 * Mosquitto from {@code deploy/mosquitto/pan}, HiveMQ CE with our extension from {@code deploy/hivemq}.
 *
 * <p>The PNE's client id must equal its certificate's CN, so the subscriber and the publisher are one MQTT
 * session: {@code mosquitto_sub -c -E} makes a persistent session subscribed to the delivery topic,
 * {@code mosquitto_pub -c} sends the request in it, and {@code mosquitto_sub -c -C 1} collects the delivery.
 *
 * <p>Requires {@code mosquitto-clients} and {@code openssl}; skipped without them, failed when
 * {@code CI_REQUIRE_MOSQUITTO_CLIENTS=1} (as {@code .ci/run} sets).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
abstract class ForeignPneContract {
    static final String REQUIRE = "CI_REQUIRE_MOSQUITTO_CLIENTS";
    static final Duration TOOL_TIMEOUT = Duration.ofSeconds(60);

    /** The class's folder (a {@code @TempDir} given to {@link #start}: instance fields are injected too late). */
    Path dir;
    Fixture f;

    /** Starts the PAN broker under test (when it is not the gateway's own) and the system around it. */
    abstract Fixture startSystem(Path dir) throws Exception;

    /** Whether the broker learns of revocations from the PAN CA's CRL ({@code cpns gateway pan-tls} wrote one). */
    boolean readsCrl() {
        return false;
    }

    /** Lets the broker learn of a revocation that {@code cpns gateway revoke} just made (nothing by default). */
    void afterRevoke() throws Exception {
    }

    /** Stops what {@link #startSystem} started besides the fixture. */
    void stopBroker() throws Exception {
    }

    @BeforeAll
    void start(@TempDir final Path classDir) throws Exception {
        dir = classDir;
        Tools.require(REQUIRE, "mosquitto-clients openssl", "mosquitto_pub", "mosquitto_sub", "openssl");
        f = startSystem(dir);
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (f != null) {
                f.close();
            }
        } finally {
            stopBroker();
        }
    }

    @Test
    @DisplayName("F1-F10 P8 a mosquitto_pub/sub PNE with an openssl key and a certificate from its CSR gets its EUKey")
    void csrEnrolledMosquittoPne_getsTheServersKey() throws Exception {
        final String entity = "mosq-csr-1";
        final Path device = Files.createDirectories(dir.resolve(entity));
        final Tools.Result req = Tools.run(device, TOOL_TIMEOUT, List.of("openssl", "req", "-new", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "device-key.pem", "-out", "device.csr",
                "-subj", "/CN=" + entity));
        assertTrue(req.ok(), "openssl req: " + req);
        final String enrolled = cpns(0, "gateway", "enroll", "--data", gatewayData(), "--csr",
                device.resolve("device.csr").toString(), "--out", device.toString(), "--validity", "P30D");
        assertTrue(enrolled.contains("enrolled " + entity + " from its CSR"), enrolled);

        final JsonObject delivery = requestKey(device, entity, device.resolve("device-key.pem"), "1");
        assertDeliveredServersKey(entity, delivery);
        assertTrue(cpns(0, "gateway", "devices", "--data", gatewayData()).lines()
                .anyMatch(l -> l.startsWith(entity + " ") && l.contains(" csr ") && l.endsWith("active")));
    }

    @Test
    @DisplayName("F1-F10 P8 a mosquitto_pub/sub PNE with a generated PEM bundle from 'cpns gateway enroll' gets its EUKey")
    void bundleEnrolledMosquittoPne_getsTheServersKey() throws Exception {
        final String entity = "mosq-gen-1";
        final Path device = enrollBundle(entity);
        final Path key = device.resolve(entity + "-key.pem");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        assertTrue(Files.exists(device.resolve(entity + ".p12")), "the PKCS#12 bundle is written too");

        final JsonObject delivery = requestKey(device, entity, key, "1");
        assertDeliveredServersKey(entity, delivery);
    }

    @Test
    @DisplayName("R4 a client without a certificate from the PAN CA cannot connect to the PNE listener")
    void noClientCertificate_refused() throws Exception {
        final Path device = Files.createDirectories(dir.resolve("anon"));
        Files.writeString(device.resolve("pan-ca.pem"), f.system.gateway().certificateAuthority().caCertificatePem());
        final Tools.Result r = Tools.run(device, TOOL_TIMEOUT, List.of("mosquitto_sub", "-h", "localhost", "-p",
                String.valueOf(f.system.panPort()), "--cafile", "pan-ca.pem", "-i", "anon-1", "-q", "1", "-E",
                "-t", "cpns/pan/anon-1/key-delivery"));
        assertFalse(r.ok(), "a client without a certificate must be refused: " + r);
    }

    @Test
    @DisplayName("P8 a PNE cannot publish a Key Request under another entity's topic nor read another's replies")
    void forgedTopic_neverReachesTheGateway() throws Exception {
        final String victim = "mosq-victim-1";
        final String forger = "mosq-forger-1";
        enrollBundle(victim); // a real, enrolled device: the gateway would serve a request in its name
        final Path forgerDevice = enrollBundle(forger);
        final Path forgerKey = forgerDevice.resolve(forger + "-key.pem");
        // the forger subscribes to the victim's replies (refused by the broker: it reads nothing of them)
        final List<String> snoop = new ArrayList<>(common("mosquitto_sub", forgerDevice, forger, forgerKey));
        snoop.addAll(List.of("-t", "cpns/pan/" + victim + "/key-delivery", "-E"));
        Tools.run(forgerDevice, TOOL_TIMEOUT, snoop);
        // then publishes a Key Request in the victim's name, on the victim's topic
        final String forged = RecordingPne.proxyRequest(EntityId.of(victim), "forged-" + victim).encode();
        final List<String> pub = new ArrayList<>(common("mosquitto_pub", forgerDevice, forger, forgerKey));
        pub.addAll(List.of("-t", "cpns/pan/" + victim + "/key-request", "-m", forged));
        Tools.run(forgerDevice, TOOL_TIMEOUT, pub);
        // its own request, sent after the forged one, is answered: had the forged one reached the gateway, the
        // user would have been asked about the victim first
        assertDeliveredServersKey(forger, requestKey(forgerDevice, forger, forgerKey, "2"));
        assertFalse(f.user.wasAsked(EntityId.of(victim)), "the forged Key Request reached the gateway");
        assertTrue(f.serverKcv(victim).isEmpty(), "no key was made for the victim");
        final Tools.Result snooped = Tools.run(forgerDevice, TOOL_TIMEOUT, subTo(forgerDevice, forger, forgerKey,
                victim, "-C", "1", "-W", "2"));
        assertTrue(snooped.stdout().isBlank(), "the forger read the victim's topic: " + snooped);
    }

    @Test
    @DisplayName("P8 a device revoked with 'cpns gateway revoke' is refused by the PAN broker; another device still connects")
    void revokedDevice_refused_otherStillConnects() throws Exception {
        final String revoked = "mosq-rev-1";
        final String kept = "mosq-kept-1";
        final Path revokedDevice = enrollBundle(revoked);
        final Path keptDevice = enrollBundle(kept);
        final Path revokedKey = revokedDevice.resolve(revoked + "-key.pem");
        final Path keptKey = keptDevice.resolve(kept + "-key.pem");
        final Tools.Result before = Tools.run(revokedDevice, TOOL_TIMEOUT, sub(revokedDevice, revoked, revokedKey, "-E"));
        assertTrue(before.ok(), "an enrolled device connects: " + before);

        final String out = cpns(0, "gateway", "revoke", "--data", gatewayData(), "--entity", revoked);
        assertTrue(out.contains("revoked 1"), out);
        assertEquals(readsCrl(), out.contains("CRL rewritten: "), "the CRL an external broker reads: " + out);
        assertTrue(cpns(0, "gateway", "devices", "--data", gatewayData()).lines()
                .anyMatch(l -> l.startsWith(revoked + " ") && l.contains("revoked")));
        afterRevoke();
        final long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        Tools.Result after = Tools.run(revokedDevice, TOOL_TIMEOUT, sub(revokedDevice, revoked, revokedKey, "-E"));
        while (after.ok() && System.nanoTime() < end) {
            after = Tools.run(revokedDevice, TOOL_TIMEOUT, sub(revokedDevice, revoked, revokedKey, "-E"));
        }
        assertFalse(after.ok(), "the revoked device must be refused: " + after);
        final Tools.Result other = Tools.run(keptDevice, TOOL_TIMEOUT, sub(keptDevice, kept, keptKey, "-E"));
        assertTrue(other.ok(), "a device that was not revoked still connects: " + other);
        cpns(1, "gateway", "revoke", "--data", gatewayData(), "--entity", revoked);
    }

    // ------------------------------------------------------------------ helpers

    Path enrollBundle(final String entity) throws Exception {
        final Path device = Files.createDirectories(dir.resolve(entity));
        cpns(0, "gateway", "enroll", "--data", gatewayData(), "--entity", entity, "--out", device.toString());
        return device;
    }

    /** The three steps of a PNE without UI in one persistent MQTT session; returns the Key Delivery. */
    JsonObject requestKey(final Path device, final String entity, final Path key, final String attempt)
            throws Exception {
        final Tools.Result subscribe = Tools.run(device, TOOL_TIMEOUT, sub(device, entity, key, "-E"));
        assertTrue(subscribe.ok(), "mosquitto_sub (subscribe, persistent session): " + subscribe);
        final String request = RecordingPne.proxyRequest(EntityId.of(entity), "mosq-" + entity + "-" + attempt).encode();
        final List<String> pub = new ArrayList<>(common("mosquitto_pub", device, entity, key));
        pub.addAll(List.of("-t", "cpns/pan/" + entity + "/key-request", "-m", request));
        final Tools.Result published = Tools.run(device, TOOL_TIMEOUT, pub);
        assertTrue(published.ok(), "mosquitto_pub: " + published);
        final Tools.Result received = Tools.run(device, TOOL_TIMEOUT, sub(device, entity, key, "-C", "1", "-W", "50"));
        assertTrue(received.ok(), "mosquitto_sub (collect the delivery): " + received);
        return new JsonObject(received.stdout().strip());
    }

    private void assertDeliveredServersKey(final String entity, final JsonObject delivery) {
        assertEquals(200, delivery.getInteger("status"), "Key Delivery status (reason " + delivery.getString("reason") + ")");
        assertEquals(entity, delivery.getString("entityId"));
        final Optional<String> serverKcv = f.serverKcv(entity);
        assertTrue(serverKcv.isPresent(), "the server stored a key for " + entity);
        try (SecretBytes euKey = SecretBytes.adopt(Base64.getDecoder().decode(delivery.getString("euKey")))) {
            // compared through key check values: the key itself never appears in a message or a log
            assertEquals(serverKcv.get(), KeyCheckValue.of(euKey), "the PNE's EUKey is the one the server stored");
        }
    }

    private List<String> sub(final Path device, final String entity, final Path key, final String... extra) {
        return subTo(device, entity, key, entity, extra);
    }

    private List<String> subTo(final Path device, final String entity, final Path key, final String topicEntity,
            final String... extra) {
        final List<String> cmd = new ArrayList<>(common("mosquitto_sub", device, entity, key));
        cmd.addAll(List.of("-t", "cpns/pan/" + topicEntity + "/key-delivery"));
        cmd.addAll(List.of(extra));
        return cmd;
    }

    private List<String> common(final String tool, final Path device, final String entity, final Path key) {
        return List.of(tool, "-h", "localhost", "-p", String.valueOf(f.system.panPort()),
                "--cafile", device.resolve("pan-ca.pem").toString(),
                "--cert", device.resolve(entity + "-cert.pem").toString(), "--key", key.toString(),
                "-i", entity, "-q", "1", "-c");
    }

    String gatewayData() {
        return f.system.dir().resolve("gateway").toString();
    }

    /** Runs a {@code cpns} command in this JVM (the gateway's files are shared as between two processes). */
    static String cpns(final int expectedExit, final String... args) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final CommandLine cli = Cpns.commandLine();
        cli.setOut(new java.io.PrintWriter(out, true, StandardCharsets.UTF_8));
        cli.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
        final PrintStream stdout = System.out;
        final PrintStream stderr = System.err;
        final int exit;
        synchronized (ForeignPneContract.class) {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            try {
                exit = cli.execute(args);
            } finally {
                System.setOut(stdout);
                System.setErr(stderr);
            }
        }
        final String text = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
        assertEquals(expectedExit, exit, "cpns " + String.join(" ", args) + ": " + text);
        return text;
    }
}
