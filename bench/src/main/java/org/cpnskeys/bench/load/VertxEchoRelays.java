package org.cpnskeys.bench.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemTrustOptions;

import org.cpnskeys.deploy.Cli;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.Topics;
import org.cpnskeys.protocol.mqtt.MqttConnection;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;

/**
 * The echo "gateway" and "server" of {@link EchoBrokers} on Vert.x's MQTT client (through the project's
 * {@link MqttConnection}, as the real gateway and server connect), on a Vert.x of their own: the second,
 * independent client that cross-checks the ceiling measured with hivemq-mqtt-client ({@code --ceiling-client vertx}).
 */
final class VertxEchoRelays implements AutoCloseable {
    private final Vertx vertx;
    private final List<MqttConnection> connections = new ArrayList<>();

    private VertxEchoRelays(final Vertx vertx) {
        this.vertx = vertx;
    }

    /** Connects and subscribes every relay (blocking); {@code servers} echo servers share the Key Requests. */
    static VertxEchoRelays start(final EchoBrokers.Ports ports, final int servers) {
        final VertxEchoRelays r = new VertxEchoRelays(Cli.newVertx());
        try {
            r.connect(ports, servers);
            return r;
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
    }

    private void connect(final EchoBrokers.Ports p, final int servers) {
        final MessageCodec codec = new MessageCodec();
        final GatewayId gw = GatewayId.of(p.gatewayUser());
        final MqttConnection gatewayCloud = open(cloud(p, p.gatewayUser()), p.gatewayUser());
        final MqttConnection gatewayPan = open(MqttEndpoint.plain("127.0.0.1", p.panTcpPort(), p.panUser(), p.secret()),
                p.panUser() + "-echo");
        final List<Future<Void>> subscribed = new ArrayList<>();
        for (int i = 0; i < servers; i++) {
            final MqttConnection server = open(cloud(p, p.serverUser()), "cpns-server-echo-" + i);
            subscribed.add(server.subscribe(Topics.cloudKeyRequestSharedFilter(), in -> {
                final KeyRequest r = (KeyRequest) codec.decode(in.payload());
                server.publish(Topics.cloud(gw, 0, Topics.KEY_DELIVERY), codec.encode(KeyDelivery.refused(r.requestId(),
                        r.entityId(), Status.UNAVAILABLE, "echo")));
            }));
        }
        subscribed.add(gatewayCloud.subscribe(Topics.cloud(gw, 0, Topics.KEY_DELIVERY), in -> {
            final KeyDelivery d = (KeyDelivery) codec.decode(in.payload());
            gatewayPan.publish(Topics.pan(d.entityId(), Topics.KEY_DELIVERY), in.payload());
        }));
        subscribed.add(gatewayPan.subscribe(Topics.panKeyRequestFilter(),
                in -> gatewayCloud.publish(Topics.cloud(gw, 0, Topics.KEY_REQUEST), in.payload())));
        Cli.await(Future.all(subscribed), "subscribing the Vert.x echo relays", Duration.ofSeconds(30));
    }

    private static MqttEndpoint cloud(final EchoBrokers.Ports p, final String user) {
        return MqttEndpoint.tls("127.0.0.1", p.cloudTlsPort(), new PemTrustOptions().addCertValue(Buffer.buffer(p.cloudCaPem())),
                Optional.empty(), true, Optional.of(user), Optional.of(p.secret()));
    }

    private MqttConnection open(final MqttEndpoint endpoint, final String clientId) {
        final MqttConnection c = MqttConnection.create(vertx, endpoint, clientId);
        connections.add(c);
        Cli.await(c.start(Duration.ofSeconds(30)), "connecting the Vert.x echo relay " + clientId, Duration.ofSeconds(40));
        return c;
    }

    @Override
    public void close() {
        try {
            Cli.await(Future.join(connections.stream().map(MqttConnection::stop).toList()), "stopping the echo relays",
                    Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            // closing anyway
        }
        Cli.await(vertx.close(), "closing the echo relays' Vert.x", Duration.ofSeconds(10));
    }
}
