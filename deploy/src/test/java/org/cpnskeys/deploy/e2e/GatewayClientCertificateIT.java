package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;

import org.cpnskeys.broker.CloudTls;
import org.cpnskeys.deploy.Cpns;
import org.cpnskeys.deploy.GatewayCloudOptions;
import org.cpnskeys.protocol.Topics;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.mqtt.MqttConnection;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;
import org.cpnskeys.protocol.tls.CertificateAuthority;
import org.cpnskeys.protocol.tls.IssuedIdentity;
import org.cpnskeys.protocol.tls.Pem;
import org.cpnskeys.server.ServerApplication;
import org.cpnskeys.server.ServerConfig;
import org.cpnskeys.server.auth.HtdigestFile;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/**
 * Mutual TLS for gateways on the cloud broker: {@code add-gateway --client-certificate} issues a certificate from
 * the cloud CA (CN = Gateway ID) into the gateway file, and the broker takes it instead of, or with, the token.
 * Certificates of another CA, or for a Gateway ID that is not registered, get nowhere.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GatewayClientCertificateIT {
    @TempDir
    static Path dir;
    static Vertx vertx;
    static ServerApplication server;
    static Path serverDir;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        serverDir = dir.resolve("server");
        HtdigestFile.addOrReplace(serverDir.resolve("users.htdigest"), UserId.of("alice"), "cpns", "pw".toCharArray());
        server = Fixture.await(ServerApplication.start(vertx, ServerConfig.defaults(serverDir, 0)));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            Fixture.await(server.stop());
        }
        if (vertx != null) {
            Fixture.await(vertx.close());
        }
    }

    @Test
    @DisplayName("a gateway file with a client certificate and no token: the gateway logs in by certificate alone")
    void certificateOnly_connectsAsItsGateway() throws Exception {
        final Path file = addGateway("cert-gw", "--client-certificate", "--without-token");
        final JsonObject json = new JsonObject(Files.readString(file));
        assertFalse(json.containsKey("token"), "no token in the file");
        assertTrue(json.getString("clientCertificate").contains("BEGIN CERTIFICATE"));
        final MqttEndpoint cloud = resolve(file);
        assertTrue(cloud.password().isEmpty() && cloud.keyCert().isPresent());
        assertConnects(cloud, "cert-gw");
    }

    @Test
    @DisplayName("a gateway file with a client certificate and the token: the gateway logs in with both")
    void certificateAndToken_connects() throws Exception {
        final MqttEndpoint cloud = resolve(addGateway("both-gw", "--client-certificate"));
        assertTrue(cloud.password().isPresent() && cloud.keyCert().isPresent());
        assertConnects(cloud, "both-gw");
    }

    @Test
    @DisplayName("a certificate for a registered Gateway ID from another CA is refused")
    void otherCaCertificate_refused() throws Exception {
        addGateway("victim-gw", "--client-certificate", "--without-token");
        final IssuedIdentity forged = CloudTls.cloudCa(dir.resolve("other")).issueClient("victim-gw", Duration.ofDays(1));
        assertRefused(withCertificate(forged, "victim-gw"), "victim-gw");
    }

    @Test
    @DisplayName("a certificate of the right CA for a Gateway ID that is not registered is refused")
    void unregisteredGatewayCertificate_refused() throws Exception {
        final CertificateAuthority ca = CloudTls.cloudCa(serverDir);
        assertRefused(withCertificate(ca.issueClient("ghost-gw", Duration.ofDays(1)), "ghost-gw"), "ghost-gw");
    }

    private static Path addGateway(final String id, final String... extra) {
        final Path file = dir.resolve(id + ".cpns");
        final String[] args = new String[] {"server", "add-gateway", "--data", serverDir.toString(), "--id", id,
                "--out", file.toString(), "--cloud-host", "127.0.0.1", "--cloud-port", Integer.toString(server.cloudPort())};
        final String[] all = java.util.stream.Stream.concat(java.util.Arrays.stream(args), java.util.Arrays.stream(extra))
                .toArray(String[]::new);
        assertEquals(0, Cpns.commandLine().execute(all));
        return file;
    }

    private static MqttEndpoint resolve(final Path file) {
        final GatewayCloudOptions options = new GatewayCloudOptions();
        new CommandLine(options).parseArgs("--cloud-config", file.toString());
        return options.resolve("home-gw", false, "cpns", false).cloud();
    }

    /** The gateway's endpoint shape, with the given identity and no token. */
    private static MqttEndpoint withCertificate(final IssuedIdentity identity, final String gateway) {
        final MqttEndpoint base = server.cloudEndpoint(gateway, null);
        final byte[] key = Pem.privateKey(identity.privateKey());
        final PemKeyCertOptions keyCert = new PemKeyCertOptions().addCertValue(Buffer.buffer(identity.certificatePem()))
                .addKeyValue(Buffer.buffer(new String(key, StandardCharsets.US_ASCII)));
        java.util.Arrays.fill(key, (byte) 0);
        return MqttEndpoint.tls(base.host(), base.port(), base.trust().orElseThrow(), Optional.of(keyCert), true,
                Optional.of(gateway), Optional.empty());
    }

    private static void assertConnects(final MqttEndpoint cloud, final String gateway) {
        final MqttConnection link = MqttConnection.create(vertx, cloud, gateway);
        try {
            Fixture.await(link.start(Duration.ofSeconds(30)));
            Fixture.await(link.subscribe(Topics.cloudRepliesFilter(GatewayId.of(gateway), 0), m -> { }));
        } finally {
            Fixture.await(link.stop());
        }
    }

    private static void assertRefused(final MqttEndpoint cloud, final String gateway) {
        final MqttConnection link = MqttConnection.create(vertx, cloud, gateway);
        final Future<Void> started = link.start(Duration.ofSeconds(5));
        final Future<Boolean> refused = started.transform(ar -> Future.<Boolean>succeededFuture(ar.failed()));
        final boolean wasRefused = Fixture.await(refused);
        assertTrue(wasRefused, "the broker let the forged certificate in");
    }
}
