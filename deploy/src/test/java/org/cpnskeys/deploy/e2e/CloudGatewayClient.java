package org.cpnskeys.deploy.e2e;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;

import io.vertx.core.json.JsonObject;

import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.Topics;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.WrappedKey;
import org.cpnskeys.protocol.crypto.CachingKeyPair;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.EuKeyWrap;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.X25519PublicKey;
import org.cpnskeys.server.ServerApplication;

/**
 * A second PN GW on the cloud broker, played by the test with a foreign MQTT client, so that tests can send
 * the server exactly the messages they mean to (replays, stale nonces, wrong answers, garbage).
 */
final class CloudGatewayClient implements AutoCloseable {
    /** The requester's ephemeral key pair the tests' answers carry (one for the whole run, as a gateway's nonce). */
    static final CachingKeyPair KEYS = CachingKeyPair.generate();
    private static final MessageCodec CODEC = new MessageCodec();
    record Reply(String leaf, JsonObject json) {
    }

    final GatewayId id;
    private final Mqtt5AsyncClient client;
    private final BlockingQueue<Reply> inbox = new LinkedBlockingQueue<>();
    private final java.util.List<Reply> received = new java.util.concurrent.CopyOnWriteArrayList<>();

    CloudGatewayClient(final LocalSystem system, final GatewayId id) throws Exception {
        this(system.server(), id);
    }

    /** A gateway registered on, and connected to, the cloud broker {@code server} embeds. */
    CloudGatewayClient(final ServerApplication server, final GatewayId id) throws Exception {
        this(server.cloudPort(), id, server.registerGateway(id),
                server.cloudTls().orElseThrow().cloudCa().caCertificatePem());
    }

    /**
     * A gateway, registered with {@code token}, connected over TLS (trusting {@code caPem}, host name checked) to the
     * cloud broker on this loopback port.
     */
    CloudGatewayClient(final int port, final GatewayId id, final String token, final String caPem) throws Exception {
        this.id = id;
        client = MqttClient.builder().useMqttVersion5().identifier(id.value()).serverHost("127.0.0.1")
                .serverPort(port)
                .sslConfig(org.cpnskeys.deploy.HiveMqClientTls.trusting(caPem))
                .simpleAuth().username(id.value()).password(token.getBytes(StandardCharsets.US_ASCII)).applySimpleAuth()
                .buildAsync();
        client.connect().get(20, TimeUnit.SECONDS);
        for (final String topic : Topics.cloudReplyTopics(id, 0)) {
            client.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE)
                    .callback(p -> {
                        final String t = p.getTopic().toString();
                        final Reply r = new Reply(t.substring(t.lastIndexOf('/') + 1),
                                new JsonObject(new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8)));
                        received.add(r);
                        inbox.add(r);
                    })
                    .send().get(20, TimeUnit.SECONDS);
        }
    }

    /** Every reply received so far. */
    java.util.List<Reply> received() {
        return received;
    }

    void send(final byte[] payload) throws Exception {
        client.publishWith().topic(Topics.cloud(id, 0, Topics.KEY_REQUEST)).qos(MqttQos.AT_LEAST_ONCE).payload(payload)
                .send().get(20, TimeUnit.SECONDS);
    }

    void send(final JsonObject request) throws Exception {
        send(request.toBuffer().getBytes());
    }

    /** Publishes every request before waiting for any acknowledgement: the server gets them back to back. */
    void sendAll(final java.util.List<JsonObject> requests) throws Exception {
        final java.util.List<java.util.concurrent.CompletableFuture<?>> sent = new java.util.ArrayList<>();
        for (final JsonObject r : requests) {
            sent.add(client.publishWith().topic(Topics.cloud(id, 0, Topics.KEY_REQUEST)).qos(MqttQos.AT_LEAST_ONCE)
                    .payload(r.toBuffer().getBytes()).send());
        }
        java.util.concurrent.CompletableFuture.allOf(sent.toArray(new java.util.concurrent.CompletableFuture<?>[0]))
                .get(30, TimeUnit.SECONDS);
    }

    /** Sends a Key Request without answer and returns the nonce of the challenge the server answers with. */
    String challengeNonce(final JsonObject request) throws Exception {
        send(request);
        final Reply r = awaitFor(request.getString("requestId"));
        if (!"challenge".equals(r.leaf())) {
            throw new AssertionError("expected a challenge, got " + r.leaf() + ": " + r.json().encode());
        }
        return r.json().getString("nonce");
    }

    Reply await(final Predicate<Reply> which) throws InterruptedException {
        final long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            final long left = end - System.nanoTime();
            final Reply r = left > 0 ? inbox.poll(left, TimeUnit.NANOSECONDS) : null;
            if (r == null) {
                throw new AssertionError("no matching reply from the server within 30 s");
            }
            if (which.test(r)) {
                return r;
            }
        }
    }

    Reply awaitFor(final String requestId) throws InterruptedException {
        return await(r -> requestId.equals(r.json().getString("requestId")));
    }

    static JsonObject request(final EntityId entity, final String requestId, final String user, final boolean proxy) {
        return new JsonObject().put("v", CpnsMessage.VERSION).put("type", "key-request").put("requestId", requestId)
                .put("entityId", entity.value()).put("proxy", proxy).put("userId", user);
    }

    /** The request with {@link #KEYS}' epk and a digest answer computed from {@code ha1}. */
    static JsonObject answered(final JsonObject request, final String realm, final String nonce, final String nc,
            final String cnonce, final Ha1 ha1) {
        return answered(request, realm, nonce, nc, cnonce, ha1, KEYS.publicKey());
    }

    /** The request with the given epk and a digest answer computed from {@code ha1} (the uri names that epk). */
    static JsonObject answered(final JsonObject request, final String realm, final String nonce, final String nc,
            final String cnonce, final Ha1 ha1, final X25519PublicKey epk) {
        final EntityId entity = EntityId.of(request.getString("entityId"));
        final RequestId requestId = RequestId.of(request.getString("requestId"));
        return request.copy().put("epk", epk.text()).put("authorization", new JsonObject()
                .put("username", request.getString("userId")).put("realm", realm).put("nonce", nonce)
                .put("uri", DigestClient.uri(entity, requestId, epk)).put("qop", "auth").put("nc", nc)
                .put("cnonce", cnonce)
                .put("response", DigestClient.keyRequestResponse(ha1, entity, requestId, epk, nonce, nc, cnonce)));
    }

    /** The wrapped key of a 200 Key Delivery, as the codec reads it. */
    static WrappedKey wrapped(final JsonObject delivery) {
        return ((KeyDelivery) CODEC.decode(delivery.toBuffer())).wrappedKey().orElseThrow();
    }

    /** The unwrapping context of a delivery that answers a request sent with {@link #KEYS}' epk. */
    static EuKeyWrap.Context context(final JsonObject delivery, final String entity, final String requestId) {
        final WrappedKey w = wrapped(delivery);
        return new EuKeyWrap.Context(w.nonce(), w.cnonce(), EntityId.of(entity),
                UserId.of(delivery.getString("userId")), RequestId.of(requestId), KeyId.of(delivery.getString("keyId")),
                KEYS.publicKey(), w.epk());
    }

    /** The X25519 secret of {@link #KEYS} with the server key a delivery names. */
    static SecretBytes shared(final JsonObject delivery) throws GeneralSecurityException {
        return KEYS.sharedWith(wrapped(delivery).epk());
    }

    /** Opens a delivery that answers a request sent with {@link #KEYS}' epk, as the requester does. */
    static SecretBytes open(final JsonObject delivery, final String entity, final String requestId, final Ha1 ha1)
            throws GeneralSecurityException {
        try (SecretBytes s = shared(delivery)) {
            return EuKeyWrap.unwrap(wrapped(delivery), ha1, s, context(delivery, entity, requestId));
        }
    }

    @Override
    public void close() {
        try {
            client.disconnect().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // gone
        }
    }
}
