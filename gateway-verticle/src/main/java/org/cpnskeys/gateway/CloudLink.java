package org.cpnskeys.gateway;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.StatusReport;
import org.cpnskeys.protocol.Topics;
import org.cpnskeys.protocol.mqtt.MqttConnection;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's side of the cloud: publishes Key Requests on its own cloud topic and matches the server's
 * answers (challenge, key delivery, status) to them by Entity ID and request ID. A request not answered in
 * time fails with 503. Runs on the owning verticle's context. When the gateway runs several instances, each one's
 * link receives every reply addressed to the gateway: a reply for a request this link did not send is recognised
 * by a scan of its raw bytes for the Entity ID and request ID and dropped without decoding.
 */
final class CloudLink {
    private static final Logger LOG = LoggerFactory.getLogger(CloudLink.class);

    /** One answer from the server, decoded and as received (for forwarding untouched, R16). */
    record CloudReply(CpnsMessage message, Buffer raw) {
    }

    private final Vertx vertx;
    private final MqttConnection cloud;
    private final GatewayId gateway;
    private final MessageCodec codec;
    private final Duration timeout;
    private final Map<String, Promise<CloudReply>> waiting = new HashMap<>();

    CloudLink(final Vertx vertx, final MqttConnection cloud, final GatewayId gateway, final MessageCodec codec,
            final Duration timeout) {
        this.vertx = vertx;
        this.cloud = cloud;
        this.gateway = gateway;
        this.codec = codec;
        this.timeout = timeout;
    }

    Future<Void> start() {
        final java.util.List<Future<Void>> subscriptions = new java.util.ArrayList<>();
        for (final String topic : Topics.cloudReplyTopics(gateway)) {
            subscriptions.add(cloud.subscribe(topic, this::onReply));
        }
        return Future.all(subscriptions).compose(v -> cloud.start());
    }

    Future<Void> stop() {
        waiting.values().forEach(p -> p.tryFail(new ProtocolException(Status.UNAVAILABLE, "gateway stopping")));
        waiting.clear();
        return cloud.stop();
    }

    boolean connected() {
        return cloud.isConnected();
    }

    /** Completes when the cloud connection is up (at once if it is), failing after {@code max}. */
    Future<Void> connected(final Duration max) {
        return cloud.connected(max);
    }

    void onStateChange(final java.util.function.Consumer<Boolean> listener) {
        cloud.onStateChange(listener);
    }

    /** Sends a Key Request to the server; the future completes with its answer or fails with 503. */
    Future<CloudReply> send(final KeyRequest request) {
        final String key = key(request.entityId(), request.requestId());
        final Promise<CloudReply> existing = waiting.get(key);
        if (existing != null) {
            return existing.future();
        }
        final Promise<CloudReply> answer = Promise.promise();
        waiting.put(key, answer);
        final long timer = vertx.setTimer(timeout.toMillis(), t -> {
            if (waiting.remove(key, answer)) {
                answer.tryFail(new ProtocolException(Status.UNAVAILABLE, "CPNS Server did not answer"));
            }
        });
        cloud.connected(timeout)
                .compose(v -> cloud.publish(Topics.cloud(gateway, Topics.KEY_REQUEST), codec.encode(request)))
                .onFailure(e -> {
            if (waiting.remove(key, answer)) {
                vertx.cancelTimer(timer);
                answer.tryFail(new ProtocolException(Status.UNAVAILABLE, "CPNS Server unreachable"));
            }
        });
        return answer.future().onComplete(ar -> vertx.cancelTimer(timer));
    }

    private void onReply(final MqttConnection.Inbound in) {
        final String scanned = scanKey(in.payload());
        if (scanned != null && !waiting.containsKey(scanned)) {
            return; // not one of ours (another instance's, or a late answer): not worth decoding
        }
        final CpnsMessage message;
        try {
            message = codec.decode(in.payload());
        } catch (ProtocolException e) {
            LOG.warn("malformed message from the cloud on {}: {}", in.topic(), e.reason());
            return;
        }
        final Optional<String> key = keyOf(message);
        if (key.isEmpty()) {
            LOG.warn("unattributable status from the cloud: {} {}", statusOf(message), reasonOf(message));
            return;
        }
        final Promise<CloudReply> p = waiting.remove(key.get());
        if (p != null) {
            p.tryComplete(new CloudReply(message, in.payload()));
        }
    }

    private static Optional<String> keyOf(final CpnsMessage m) {
        if (m instanceof Challenge c) {
            return Optional.of(key(c.entityId(), c.requestId()));
        }
        if (m instanceof KeyDelivery d) {
            return Optional.of(key(d.entityId(), d.requestId()));
        }
        if (m instanceof StatusReport s && s.entityId().isPresent() && s.requestId().isPresent()) {
            return Optional.of(key(s.entityId().get(), s.requestId().get()));
        }
        return Optional.empty();
    }

    private static int statusOf(final CpnsMessage m) {
        return m instanceof StatusReport s ? s.status() : 0;
    }

    private static String reasonOf(final CpnsMessage m) {
        return m instanceof StatusReport s ? s.reason() : "";
    }

    private static final byte[] ENTITY_FIELD = "\"entityId\":\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] REQUEST_FIELD = "\"requestId\":\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /**
     * The waiting key of a reply read from its raw JSON without parsing it, or null when the fields are not found
     * plainly (the full decode then decides). The IDs' characters need no JSON escapes, so a plain scan is exact
     * for what our server sends; a message it misreads is at worst dropped like any reply nobody waits for.
     */
    static String scanKey(final Buffer payload) {
        final byte[] bytes = payload.getBytes();
        final String entity = scanString(bytes, ENTITY_FIELD);
        final String request = entity == null ? null : scanString(bytes, REQUEST_FIELD);
        return request == null ? null : entity + "/" + request;
    }

    private static String scanString(final byte[] bytes, final byte[] field) {
        outer:
        for (int i = 0; i <= bytes.length - field.length; i++) {
            for (int j = 0; j < field.length; j++) {
                if (bytes[i + j] != field[j]) {
                    continue outer;
                }
            }
            final int start = i + field.length;
            for (int k = start; k < bytes.length && k - start <= 64; k++) {
                final byte b = bytes[k];
                if (b == '"') {
                    return new String(bytes, start, k - start, java.nio.charset.StandardCharsets.US_ASCII);
                }
                if (!(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.' || b == '_'
                        || b == '-')) {
                    return null;
                }
            }
            return null;
        }
        return null;
    }

    static String key(final EntityId entity, final RequestId request) {
        return entity.value() + "/" + request.value();
    }
}
