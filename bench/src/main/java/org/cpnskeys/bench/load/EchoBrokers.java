package org.cpnskeys.bench.load;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;

import io.vertx.core.buffer.Buffer;

import org.cpnskeys.deploy.HiveMqClientTls;
import org.cpnskeys.broker.BrokerConfig;
import org.cpnskeys.broker.CloudAccessPolicy;
import org.cpnskeys.broker.CloudTls;
import org.cpnskeys.broker.CloudTlsOptions;
import org.cpnskeys.broker.EmbeddedBroker;
import org.cpnskeys.broker.HashedSecrets;
import org.cpnskeys.broker.PanAccessPolicy;
import org.cpnskeys.broker.TcpListenerConfig;
import org.cpnskeys.broker.TlsListenerConfig;
import org.cpnskeys.gateway.GatewayApplication;
import org.cpnskeys.gateway.pan.PanCertificateAuthority;
import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.Topics;

/**
 * The messaging ceiling of an assignment: a PAN broker (mutual TLS, the PAN rules) and a cloud broker (the
 * cloud rules) configured as the real ones, with an echo "gateway" that forwards each PNE Key Request to the
 * cloud and an echo "server" that answers it at once. A request through them costs exactly the two broker
 * round trips of a steady-state proxy assignment (PAN and cloud), without any application work.
 * The echo's MQTT clients are hivemq-mqtt-client's (for the reason given on {@link SimulatedGateways}), or, with
 * {@link EchoClient#VERTX}, Vert.x's ({@link VertxEchoRelays}): a second, independent client to cross-check the ceiling.
 */
final class EchoBrokers implements AutoCloseable {
    /** Where and as whom the echo relays connect. */
    record Ports(int panTcpPort, int cloudTlsPort, String cloudCaPem, String secret, String panUser,
            String gatewayUser, String serverUser) {
    }

    private static final String GW = "echo-gw";
    private static final String SECRET = "echo-secret";
    private final MessageCodec codec = new MessageCodec();
    private final EmbeddedBroker pan;
    private final EmbeddedBroker cloud;
    private final List<Mqtt5AsyncClient> clients = new java.util.ArrayList<>();
    private AutoCloseable vertxRelays;

    private final String cloudCaPem;

    private EchoBrokers(final EmbeddedBroker pan, final EmbeddedBroker cloud, final String cloudCaPem) {
        this.pan = pan;
        this.cloud = cloud;
        this.cloudCaPem = cloudCaPem;
    }

    /**
     * Starts both brokers and the echo relays (blocking): one echo gateway (PAN and cloud connection, as the real
     * gateway) and {@code servers} echo servers sharing the Key Requests. The PAN broker's certificate comes from
     * {@code ca}.
     */
    static EchoBrokers start(final Path dir, final PanCertificateAuthority ca, final EchoClient client, final int servers)
            throws Exception {
        final char[] pw = "echo".toCharArray();
        ca.issueServer(List.of("localhost"), List.of("127.0.0.1"), GatewayApplication.SERVER_CERT_VALIDITY)
                .writePkcs12(dir.resolve("server.p12"), pw);
        ca.writeTrustStore(dir.resolve("trust.p12"), pw);
        final byte[] hash = HashedSecrets.sha256(SECRET.getBytes(StandardCharsets.US_ASCII));
        final EmbeddedBroker pan = EmbeddedBroker.create(BrokerConfig.of(dir.resolve("pan"),
                Optional.of(new TcpListenerConfig("127.0.0.1", 0)),
                Optional.of(new TlsListenerConfig("127.0.0.1", 0, dir.resolve("server.p12"), "echo", "echo",
                        dir.resolve("trust.p12"), "echo", true))),
                new PanAccessPolicy(GatewayApplication.PAN_INTERNAL_USER, HashedSecrets.of(Map.of(GatewayApplication.PAN_INTERNAL_USER, hash))));
        // the cloud leg as the real one: TLS with a certificate of a cloud CA, host name verified by the clients
        final CloudTls.Prepared cloudTls = CloudTls.prepare(dir.resolve("cloud"), dir.resolve("cloud").resolve("tls"),
                "127.0.0.1", 0, CloudTlsOptions.generated(List.of()));
        final EmbeddedBroker cloud = EmbeddedBroker.create(BrokerConfig.of(dir.resolve("cloud"),
                Optional.empty(), Optional.of(cloudTls.listener())),
                new CloudAccessPolicy(HashedSecrets.of(Map.of("cpns-server", hash)), HashedSecrets.of(Map.of(GW, hash))));
        pan.start().get(60, TimeUnit.SECONDS);
        cloud.start().get(60, TimeUnit.SECONDS);
        final EchoBrokers e = new EchoBrokers(pan, cloud, cloudTls.cloudCa().caCertificatePem());
        try {
            if (client == EchoClient.VERTX) {
                e.vertxRelays = VertxEchoRelays.start(e.ports(), servers);
            } else {
                e.connectEchoes(servers);
            }
        } catch (Exception | Error x) {
            e.close();
            throw x;
        }
        return e;
    }

    int panTlsPort() {
        return pan.tlsPort();
    }

    Ports ports() {
        return new Ports(pan.tcpPort(), cloud.tlsPort(), cloudCaPem, SECRET, GatewayApplication.PAN_INTERNAL_USER, GW,
                "cpns-server");
    }

    private void connectEchoes(final int servers) throws Exception {
        for (int i = 0; i < servers; i++) {
            serve(client("cpns-server-echo-" + i, "cpns-server", cloud.tlsPort(), Optional.of(cloudCaPem)));
        }
        final Mqtt5AsyncClient gatewayCloud = client(GW, GW, cloud.tlsPort(), Optional.of(cloudCaPem));
        final Mqtt5AsyncClient gatewayPan = client(GatewayApplication.PAN_INTERNAL_USER + "-echo",
                GatewayApplication.PAN_INTERNAL_USER, pan.tcpPort(), Optional.empty());
        gatewayCloud.subscribeWith().topicFilter(Topics.cloud(GatewayId.of(GW), 0, Topics.KEY_DELIVERY))
                .qos(MqttQos.AT_LEAST_ONCE).callback(p -> {
                    final KeyDelivery d = (KeyDelivery) codec.decode(Buffer.buffer(p.getPayloadAsBytes()));
                    gatewayPan.publishWith().topic(Topics.pan(d.entityId(), Topics.KEY_DELIVERY))
                            .qos(MqttQos.AT_LEAST_ONCE).payload(p.getPayloadAsBytes()).send();
                }).send().get(20, TimeUnit.SECONDS);
        gatewayPan.subscribeWith().topicFilter(Topics.panKeyRequestFilter()).qos(MqttQos.AT_LEAST_ONCE)
                .callback(p -> gatewayCloud.publishWith().topic(Topics.cloud(GatewayId.of(GW), 0, Topics.KEY_REQUEST))
                        .qos(MqttQos.AT_LEAST_ONCE).payload(p.getPayloadAsBytes()).send())
                .send().get(20, TimeUnit.SECONDS);
    }

    private void serve(final Mqtt5AsyncClient server) throws Exception {
        server.subscribeWith().topicFilter(Topics.cloudKeyRequestSharedFilter()).qos(MqttQos.AT_LEAST_ONCE)
                .callback(p -> {
                    final CpnsMessage m = codec.decode(Buffer.buffer(p.getPayloadAsBytes()));
                    final KeyRequest r = (KeyRequest) m;
                    server.publishWith().topic(Topics.cloud(GatewayId.of(GW), 0, Topics.KEY_DELIVERY))
                            .qos(MqttQos.AT_LEAST_ONCE).payload(codec.encode(KeyDelivery.refused(r.requestId(),
                                    r.entityId(), Status.UNAVAILABLE, "echo")).getBytes()).send();
                }).send().get(20, TimeUnit.SECONDS);
    }

    /** With a CA: TLS (the cloud leg); without: the gateway's own loopback link to its PAN broker. */
    private Mqtt5AsyncClient client(final String id, final String user, final int port,
            final Optional<String> caPem) throws Exception {
        final Mqtt5AsyncClient c = MqttClient.builder().useMqttVersion5().identifier(id).serverHost("127.0.0.1")
                .serverPort(port).sslConfig(caPem.map(HiveMqClientTls::trusting).orElse(null)).simpleAuth().username(user).password(SECRET.getBytes(StandardCharsets.US_ASCII))
                .applySimpleAuth().buildAsync();
        clients.add(c);
        c.connectWith().restrictions().receiveMaximum(65535).applyRestrictions().send().get(20, TimeUnit.SECONDS);
        return c;
    }

    @Override
    public void close() {
        for (final Mqtt5AsyncClient c : clients) {
            try {
                c.disconnect().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                // closing anyway
            }
        }
        if (vertxRelays != null) {
            try {
                vertxRelays.close();
            } catch (Exception e) {
                // closing anyway
            }
        }
        try {
            java.util.concurrent.CompletableFuture.allOf(pan.stop(), cloud.stop()).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            // closing anyway
        }
    }
}
