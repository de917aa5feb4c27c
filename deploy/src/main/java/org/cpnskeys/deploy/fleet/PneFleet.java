package org.cpnskeys.deploy.fleet;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;

import io.vertx.core.buffer.Buffer;

import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.Topics;

/**
 * Many PNEs at once, each its own MQTT connection over mutual TLS with its own PAN identity, on the HiveMQ
 * MQTT client (a client nobody here wrote): the fleet simulator of the load generator and of tests. A
 * member may have many Key Requests in flight, each with its own request ID; a request completes with the
 * status of its Key Delivery.
 */
public final class PneFleet implements AutoCloseable {
    /** One PNE: its Entity ID and its PAN identity as PKCS#12. */
    public record Member(EntityId entity, byte[] pkcs12, char[] password) {
    }

    private final MessageCodec codec = new MessageCodec();
    private final List<Mqtt5AsyncClient> clients = new ArrayList<>();
    private final List<EntityId> entities = new ArrayList<>();
    private final Map<String, CompletableFuture<Integer>> waiting = new ConcurrentHashMap<>();
    private final Map<String, String> keyCheckValues = new ConcurrentHashMap<>();
    private volatile boolean recordKeyCheckValues = true;

    private PneFleet() {
    }

    /** Connects every member to the PAN broker (blocking); trusts only the given PAN CA certificate (PEM). */
    public static PneFleet connect(final String host, final int port, final String caPem, final List<Member> members)
            throws Exception {
        final PneFleet fleet = new PneFleet();
        final KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("pan-ca", CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII))));
        final TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        final List<CompletableFuture<?>> connecting = new ArrayList<>();
        for (final Member m : members) {
            final KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(new ByteArrayInputStream(m.pkcs12()), m.password());
            final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, m.password());
            final Mqtt5AsyncClient c = MqttClient.builder().useMqttVersion5().identifier(m.entity().value())
                    .serverHost(host).serverPort(port)
                    .sslConfig().keyManagerFactory(kmf).trustManagerFactory(tmf).applySslConfig()
                    .buildAsync();
            fleet.clients.add(c);
            fleet.entities.add(m.entity());
            connecting.add(c.connectWith().restrictions().receiveMaximum(65535).applyRestrictions().send()
                    .thenCompose(ack -> c.subscribeWith().topicFilter(Topics.pan(m.entity(), Topics.KEY_DELIVERY))
                            .qos(MqttQos.AT_LEAST_ONCE).callback(p -> fleet.onDelivery(p.getPayloadAsBytes())).send()));
        }
        CompletableFuture.allOf(connecting.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
        return fleet;
    }

    public int size() {
        return clients.size();
    }

    /** Sends a proxy Key Request from member {@code i}; completes with the Key Delivery's status. */
    public CompletableFuture<Integer> requestKey(final int i, final RequestId requestId) {
        final EntityId entity = entities.get(i);
        final CompletableFuture<Integer> answer = new CompletableFuture<>();
        waiting.put(key(entity, requestId), answer);
        final byte[] payload = codec.encode(KeyRequest.proxy(requestId, entity, Optional.empty())).getBytes();
        clients.get(i).publishWith().topic(Topics.pan(entity, Topics.KEY_REQUEST)).qos(MqttQos.AT_LEAST_ONCE)
                .payload(payload).send().whenComplete((r, e) -> {
                    if (e != null) {
                        waiting.remove(key(entity, requestId));
                        answer.completeExceptionally(e);
                    }
                });
        return answer;
    }

    /**
     * The key check value of every EUKey the fleet received, by "entityId/requestId" (never the keys).
     */
    public Map<String, String> receivedKeyCheckValues() {
        return Map.copyOf(keyCheckValues);
    }

    /**
     * Whether to keep the key check value of every EUKey received (default true, for tests that compare them with
     * the server's). A load generator turns it off: kept, they grow by one entry per assignment.
     */
    public PneFleet recordKeyCheckValues(final boolean on) {
        this.recordKeyCheckValues = on;
        return this;
    }

    /** Forgets a request that will not be answered (timed out). */
    public void forget(final int i, final RequestId requestId) {
        waiting.remove(key(entities.get(i), requestId));
    }

    private void onDelivery(final byte[] payload) {
        final CpnsMessage m;
        try {
            m = codec.decode(Buffer.buffer(payload));
        } catch (ProtocolException e) {
            return;
        }
        if (m instanceof KeyDelivery d) {
            d.euKey().ifPresent(k -> {
                if (recordKeyCheckValues) {
                    keyCheckValues.put(key(d.entityId(), d.requestId()), org.cpnskeys.protocol.crypto.KeyCheckValue.of(k));
                }
                k.destroy();
            });
            final CompletableFuture<Integer> f = waiting.remove(key(d.entityId(), d.requestId()));
            if (f != null) {
                f.complete(d.status());
            }
        }
    }

    private static String key(final EntityId e, final RequestId r) {
        return e.value() + "/" + r.value();
    }

    @Override
    public void close() {
        for (final Mqtt5AsyncClient c : clients) {
            try {
                c.disconnect().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                // leaving anyway
            }
        }
    }
}
