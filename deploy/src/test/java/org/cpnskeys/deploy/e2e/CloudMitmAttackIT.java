package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.PemTrustOptions;

import org.cpnskeys.broker.BrokerAccessPolicy;
import org.cpnskeys.broker.BrokerConfig;
import org.cpnskeys.broker.ClientPrincipal;
import org.cpnskeys.broker.CloudTls;
import org.cpnskeys.broker.CloudTlsOptions;
import org.cpnskeys.broker.ConnectAttempt;
import org.cpnskeys.broker.EmbeddedBroker;
import org.cpnskeys.broker.TlsListenerConfig;
import org.cpnskeys.broker.TopicRule;
import org.cpnskeys.deploy.Cpns;
import org.cpnskeys.deploy.GatewayCloudOptions;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.mqtt.MqttConnection;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;
import org.cpnskeys.protocol.tls.CertificateAuthority;
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
 * Threat: a man in the middle of the cloud leg ([H] 1) who answers in the cloud broker's place, to learn the
 * gateway's token or the server's broker password and then to read or plant messages. Two impostors, each a real
 * MQTT broker that lets everyone in and records every CONNECT: one with a certificate from another CA (its own
 * cloud CA, for localhost/127.0.0.1), one with a certificate from the RIGHT cloud CA but for another host. The
 * gateway, configured from its real {@code add-gateway} file, and the server's own client toward an external
 * broker ({@code --broker-host} with {@code --broker-ca}) must refuse both in the TLS handshake: the impostor
 * never receives an MQTT CONNECT, so never a credential. Control: the same configuration reaches the real broker.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class CloudMitmAttackIT {
    @TempDir
    static Path dir;
    static Vertx vertx;
    static ServerApplication server;
    static Impostor otherCa;
    static Impostor wrongHost;
    static Path gatewayFile;

    /** A broker that lets every client in and records every CONNECT, behind a proxy that counts TCP connections. */
    record Impostor(EmbeddedBroker broker, RecordingTcpProxy proxy, List<ConnectAttempt> connects) implements AutoCloseable {
        static Impostor start(final Path folder, final TlsListenerConfig listener) throws Exception {
            final List<ConnectAttempt> connects = new CopyOnWriteArrayList<>();
            final EmbeddedBroker broker = EmbeddedBroker.create(BrokerConfig.of(folder, Optional.empty(),
                    Optional.of(listener)), new BrokerAccessPolicy() {
                        @Override
                        public Optional<ClientPrincipal> authenticate(final ConnectAttempt attempt) {
                            connects.add(attempt);
                            return Optional.of(new ClientPrincipal(attempt.clientId(), ClientPrincipal.Role.GATEWAY));
                        }

                        @Override
                        public List<TopicRule> rules(final ClientPrincipal principal) {
                            return List.of(TopicRule.subscribe("#"), TopicRule.publish("#"));
                        }
                    });
            Fixture.await(broker.start(vertx));
            return new Impostor(broker, new RecordingTcpProxy().target(broker.tlsPort()), connects);
        }

        @Override
        public void close() {
            proxy.close();
            broker.close();
        }
    }

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        final Path serverDir = dir.resolve("server");
        HtdigestFile.addOrReplace(serverDir.resolve("users.htdigest"), UserId.of("alice"), "cpns", "pw".toCharArray());
        server = Fixture.await(ServerApplication.start(vertx, ServerConfig.defaults(serverDir, 0)));
        // the impostor with another CA's certificate: a cloud CA of its own, for the very names the link uses
        final Path other = dir.resolve("impostor-other-ca");
        otherCa = Impostor.start(other, CloudTls.prepare(other, other.resolve("tls"), "127.0.0.1", 0,
                CloudTlsOptions.generated(List.of())).listener());
        // the impostor with a certificate of the right cloud CA, issued for another host (a stolen or misissued one)
        final Path wrong = dir.resolve("impostor-wrong-host");
        final CertificateAuthority rightCa = CloudTls.cloudCa(serverDir);
        Files.createDirectories(wrong);
        rightCa.issueServer(List.of("cloud.other-host.example"), List.of(), Duration.ofDays(1))
                .writePkcs12(wrong.resolve("broker.p12"), "pw".toCharArray());
        wrongHost = Impostor.start(wrong, new TlsListenerConfig("127.0.0.1", 0, wrong.resolve("broker.p12"), "pw", "pw",
                null, null, false));
        gatewayFile = dir.resolve("mitm-gw.cpns");
        assertEquals(0, Cpns.commandLine().execute("server", "add-gateway", "--data", serverDir.toString(),
                "--id", "mitm-gw", "--out", gatewayFile.toString(), "--cloud-host", "127.0.0.1", "--cloud-port",
                Integer.toString(server.cloudPort())));
    }

    @AfterAll
    static void stop() {
        if (otherCa != null) {
            otherCa.close();
        }
        if (wrongHost != null) {
            wrongHost.close();
        }
        if (server != null) {
            Fixture.await(server.stop());
        }
        if (vertx != null) {
            Fixture.await(vertx.close());
        }
    }

    @Test
    @DisplayName("the gateway, from its add-gateway file, reaches the real cloud broker (control)")
    void gateway_realBroker_connects() {
        final MqttConnection link = MqttConnection.create(vertx, gatewayEndpoint(server.cloudPort()), "mitm-gw");
        try {
            Fixture.await(link.start(Duration.ofSeconds(30)));
            assertTrue(link.isConnected());
        } finally {
            Fixture.await(link.stop());
        }
    }

    @Test
    @DisplayName("the gateway refuses a man in the middle whose certificate is from another CA: no CONNECT reaches it")
    void gateway_otherCaImpostor_refusedBeforeMqtt() {
        assertGatewayRefuses(otherCa);
    }

    @Test
    @DisplayName("the gateway refuses a man in the middle with the right CA's certificate for another host")
    void gateway_wrongHostImpostor_refusedBeforeMqtt() {
        assertGatewayRefuses(wrongHost);
    }

    @Test
    @DisplayName("the server's client toward an external broker (--broker-ca) refuses both impostors: no CONNECT reaches them")
    void serverClient_impostors_refusedBeforeMqtt() throws Exception {
        final Path caFile = dir.resolve("server").resolve(CloudTls.CA_FOLDER).resolve(CloudTls.CA_LAYOUT.certificateFile());
        final byte[] raw = Files.readAllBytes(dir.resolve("server").resolve("cloud-server.secret"));
        final String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        for (final Impostor impostor : List.of(otherCa, wrongHost)) {
            final Vertx own = Vertx.vertx();
            try {
                final Path data = dir.resolve("external-" + impostor.proxy().port());
                HtdigestFile.addOrReplace(data.resolve("users.htdigest"), UserId.of("alice"), "cpns", "pw".toCharArray());
                // as 'cpns server --broker-host 127.0.0.1 --broker-port P --broker-ca <cloud CA>' builds it
                final MqttEndpoint external = MqttEndpoint.tls("127.0.0.1", impostor.proxy().port(),
                        new PemTrustOptions().addCertPath(caFile.toString()), Optional.empty(), true,
                        Optional.of(ServerApplication.BROKER_USER), Optional.of(secret));
                final Future<ServerApplication> started = ServerApplication.start(own,
                        ServerConfig.defaults(data, 0).withExternalBroker(external));
                Fixture.eventually(Duration.ofSeconds(60), "the server's client tried the impostor twice, or logged in",
                        () -> impostor.proxy().connections() >= 2 || !impostor.connects().isEmpty());
                assertTrue(impostor.connects().isEmpty(), "the impostor received a CONNECT (with the broker password)");
                assertFalse(started.succeeded(), "the server did not come up on the impostor");
            } finally {
                Fixture.await(own.close());
            }
        }
    }

    private static void assertGatewayRefuses(final Impostor impostor) {
        final int before = impostor.proxy().connections();
        final MqttConnection link = MqttConnection.create(vertx, gatewayEndpoint(impostor.proxy().port()), "mitm-gw");
        try {
            final Future<Void> started = link.start();
            Fixture.eventually(Duration.ofSeconds(60), "the gateway tried the impostor twice, or logged in",
                    () -> impostor.proxy().connections() >= before + 2 || !impostor.connects().isEmpty());
            assertTrue(impostor.connects().isEmpty(), "the impostor received a CONNECT (with the gateway's token)");
            assertFalse(started.succeeded() || link.isConnected(), "the gateway connected to the impostor");
        } finally {
            Fixture.await(link.stop().recover(e -> Future.succeededFuture()));
        }
    }

    /** The cloud endpoint the real gateway builds from its add-gateway file, on another port. */
    private static MqttEndpoint gatewayEndpoint(final int port) {
        final GatewayCloudOptions options = new GatewayCloudOptions();
        new CommandLine(options).parseArgs("--cloud-config", gatewayFile.toString(), "--cloud-port", Integer.toString(port));
        return options.resolve("home-gw", false, "cpns", false).cloud();
    }
}
