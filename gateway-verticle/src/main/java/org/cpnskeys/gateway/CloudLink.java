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
 * The gateway's side of the cloud: publishes Key Requests on its instance's own cloud topic and matches the
 * server's answers (challenge, key delivery, status), which come back on the same instance's topics, to them by
 * Entity ID and request ID. A request not answered in time fails with 503. Runs on the owning verticle's context.
 */
final class CloudLink {
    private static final Logger LOG = LoggerFactory.getLogger(CloudLink.class);

    /** One answer from the server, decoded and as received (for forwarding untouched, R16). */
    record CloudReply(CpnsMessage message, Buffer raw) {
    }

    private final Vertx vertx;
    private final MqttConnection cloud;
    private final GatewayId gateway;
    private final int instance;
    private final MessageCodec codec;
    private final Duration timeout;
    private final Map<String, Promise<CloudReply>> waiting = new HashMap<>();

    CloudLink(final Vertx vertx, final MqttConnection cloud, final GatewayId gateway, final int instance,
            final MessageCodec codec, final Duration timeout) {
        this.vertx = vertx;
        this.cloud = cloud;
        this.gateway = gateway;
        this.instance = instance;
        this.codec = codec;
        this.timeout = timeout;
    }

    Future<Void> start() {
        final java.util.List<Future<Void>> subscriptions = new java.util.ArrayList<>();
        for (final String topic : Topics.cloudReplyTopics(gateway, instance)) {
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
                .compose(v -> cloud.publish(Topics.cloud(gateway, instance, Topics.KEY_REQUEST), codec.encode(request)))
                .onFailure(e -> {
            if (waiting.remove(key, answer)) {
                vertx.cancelTimer(timer);
                answer.tryFail(new ProtocolException(Status.UNAVAILABLE, "CPNS Server unreachable"));
            }
        });
        return answer.future().onComplete(ar -> vertx.cancelTimer(timer));
    }

    private void onReply(final MqttConnection.Inbound in) {
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

    static String key(final EntityId entity, final RequestId request) {
        return entity.value() + "/" + request.value();
    }
}
