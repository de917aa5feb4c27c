package org.cpnskeys.deploy.e2e;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;

import io.vertx.core.json.JsonObject;

import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.gateway.GatewayApplication;
import org.cpnskeys.protocol.tls.IssuedIdentity;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.Topics;

/**
 * A PNE written against the documented protocol with a client nobody in this project wrote (the HiveMQ MQTT 5
 * client), which records every message it sends and receives on the PAN: since the PAN broker only carries
 * messages between a PNE and its gateway on that PNE's topics, this is every message crossing the PAN for it.
 */
final class RecordingPne implements AutoCloseable {
    /** One message seen on the PAN. */
    record Seen(boolean sent, String topic, byte[] payload) {
        JsonObject json() {
            return new JsonObject(new String(payload, StandardCharsets.UTF_8));
        }

        String leaf() {
            return topic.substring(topic.lastIndexOf('/') + 1);
        }
    }

    final EntityId entity;
    final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final BlockingQueue<Seen> inbox = new LinkedBlockingQueue<>();
    private final Mqtt5AsyncClient client;

    RecordingPne(final LocalSystem system, final EntityId entity) throws Exception {
        this(system, entity, entity.value());
    }

    /** A PNE whose certificate says {@code entity} but that connects with another MQTT client id. */
    RecordingPne(final LocalSystem system, final EntityId entity, final String clientId) throws Exception {
        this(system.gateway(), entity, clientId);
    }

    RecordingPne(final GatewayApplication gateway, final EntityId entity, final String clientId) throws Exception {
        this.entity = entity;
        final IssuedIdentity identity = gateway.enroll(entity);
        final char[] pw = "test".toCharArray();
        final KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(new ByteArrayInputStream(identity.toPkcs12(pw)), pw);
        final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        client = MqttClient.builder().useMqttVersion5().identifier(clientId).serverHost("localhost")
                .serverPort(gateway.panPort())
                .sslConfig().keyManagerFactory(kmf).trustManagerFactory(trust(gateway)).applySslConfig()
                .buildAsync();
    }

    static TrustManagerFactory trust(final LocalSystem system) throws Exception {
        return trust(system.gateway());
    }

    static TrustManagerFactory trust(final GatewayApplication gateway) throws Exception {
        final KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("pan-ca", CertificateFactory.getInstance("X.509").generateCertificate(
                new ByteArrayInputStream(gateway.certificateAuthority().caCertificatePem()
                        .getBytes(StandardCharsets.US_ASCII))));
        final TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        return tmf;
    }

    RecordingPne connect() throws Exception {
        client.connect().get(20, TimeUnit.SECONDS);
        for (final String topic : Topics.panReplyTopics(entity)) {
            client.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE)
                    .callback(p -> {
                        final Seen s = new Seen(false, p.getTopic().toString(), p.getPayloadAsBytes());
                        seen.add(s);
                        inbox.add(s);
                    })
                    .send().get(20, TimeUnit.SECONDS);
        }
        return this;
    }

    void send(final String topic, final byte[] payload) throws Exception {
        seen.add(new Seen(true, topic, payload));
        client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send().get(20, TimeUnit.SECONDS);
    }

    void sendKeyRequest(final JsonObject request) throws Exception {
        send(Topics.pan(entity, Topics.KEY_REQUEST), request.toBuffer().getBytes());
    }

    /** Waits (at most {@code max}) for the next received message matching {@code which}; others are skipped. */
    Seen await(final Duration max, final Predicate<Seen> which) throws InterruptedException {
        final long end = System.nanoTime() + max.toNanos();
        while (true) {
            final long left = end - System.nanoTime();
            final Seen s = left > 0 ? inbox.poll(left, TimeUnit.NANOSECONDS) : null;
            if (s == null) {
                throw new AssertionError("no matching message within " + max + "; seen: " + describe());
            }
            if (which.test(s)) {
                return s;
            }
        }
    }

    Seen awaitLeaf(final String leaf) throws InterruptedException {
        return await(Duration.ofSeconds(30), s -> s.leaf().equals(leaf));
    }

    String describe() {
        final StringBuilder sb = new StringBuilder();
        for (final Seen s : seen) {
            sb.append(s.sent() ? "\n  -> " : "\n  <- ").append(s.topic()).append(' ')
                    .append(new String(s.payload(), StandardCharsets.UTF_8));
        }
        return sb.toString();
    }

    boolean connected() {
        return client.getState().isConnected();
    }

    Mqtt5AsyncClient client() {
        return client;
    }

    @Override
    public void close() {
        try {
            if (client.getState().isConnected()) {
                client.disconnect().get(10, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            // already gone
        }
    }

    static JsonObject proxyRequest(final EntityId entity, final String requestId) {
        return new JsonObject().put("v", 2).put("type", "key-request").put("requestId", requestId)
                .put("entityId", entity.value()).put("proxy", true).put("description", "recording test PNE");
    }
}
