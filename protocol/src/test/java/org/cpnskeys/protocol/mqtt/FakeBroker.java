package org.cpnskeys.protocol.mqtt;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.MqttServer;
import io.vertx.mqtt.MqttTopicSubscription;
import io.vertx.mqtt.messages.MqttPublishMessage;

/**
 * An in-process MQTT endpoint (vertx-mqtt's {@link MqttServer}, not a broker: no routing) that records what
 * clients do and lets a test decide when to acknowledge a publish, refuse a subscription or drop a client.
 */
final class FakeBroker {
    private final Vertx vertx;
    private final Predicate<String> refuse;
    private final List<MqttEndpoint> endpoints = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> subscribeCounts = new ConcurrentHashMap<>();
    private final Map<String, List<Promise<Void>>> subscribeWaiters = new ConcurrentHashMap<>();
    private final List<Promise<Received>> publishWaiters = new CopyOnWriteArrayList<>();
    private final AtomicInteger connects = new AtomicInteger();
    private MqttServer server;

    /** A publish the server received and has not acknowledged yet. */
    record Received(MqttEndpoint endpoint, MqttPublishMessage message) {
        void acknowledge() {
            endpoint.publishAcknowledge(message.messageId());
        }
    }

    FakeBroker(final Vertx vertx, final Predicate<String> refuse) {
        this.vertx = vertx;
        this.refuse = refuse;
    }

    Future<Integer> start() {
        server = MqttServer.create(vertx).endpointHandler(this::onEndpoint);
        return server.listen(0, "127.0.0.1").map(s -> s.actualPort());
    }

    Future<Void> stop() {
        return server.close();
    }

    int connects() {
        return connects.get();
    }

    int subscribeCount(final String filter) {
        return subscribeCounts.getOrDefault(filter, new AtomicInteger()).get();
    }

    /** Completes when the server has seen the n-th SUBSCRIBE for this filter. */
    synchronized Future<Void> awaitSubscribe(final String filter, final int n) {
        final Promise<Void> p = Promise.promise();
        if (subscribeCount(filter) >= n) {
            p.complete();
        } else {
            subscribeWaiters.computeIfAbsent(filter, f -> new ArrayList<>()).add(p);
        }
        return p.future().compose(v -> subscribeCount(filter) >= n ? Future.succeededFuture()
                : awaitSubscribe(filter, n));
    }

    /** Completes with the next publish the server receives; it is not acknowledged until the test says so. */
    Future<Received> nextPublish() {
        final Promise<Received> p = Promise.promise();
        publishWaiters.add(p);
        return p.future();
    }

    /** Drops every client connection. */
    void closeAll() {
        endpoints.forEach(MqttEndpoint::close);
        endpoints.clear();
    }

    /** Publishes to every connected client (QoS 1). */
    void publishToClients(final String topic, final Buffer payload) {
        endpoints.forEach(e -> e.publish(topic, payload, MqttQoS.AT_LEAST_ONCE, false, false));
    }

    private void onEndpoint(final MqttEndpoint endpoint) {
        endpoint.publishAutoAck(false);
        endpoint.subscriptionAutoAck(false);
        endpoint.subscribeHandler(sub -> {
            final List<MqttQoS> granted = new ArrayList<>();
            for (final MqttTopicSubscription s : sub.topicSubscriptions()) {
                granted.add(refuse.test(s.topicName()) ? MqttQoS.FAILURE : s.qualityOfService());
            }
            endpoint.subscribeAcknowledge(sub.messageId(), granted);
            for (final MqttTopicSubscription s : sub.topicSubscriptions()) {
                subscribed(s.topicName());
            }
        });
        endpoint.publishHandler(message -> {
            if (!publishWaiters.isEmpty()) {
                publishWaiters.remove(0).complete(new Received(endpoint, message));
            } else {
                endpoint.publishAcknowledge(message.messageId());
            }
        });
        endpoint.publishAcknowledgeHandler(id -> { });
        endpoints.add(endpoint);
        connects.incrementAndGet();
        endpoint.accept(false);
    }

    private void subscribed(final String filter) {
        final List<Promise<Void>> waiters;
        synchronized (this) {
            subscribeCounts.computeIfAbsent(filter, f -> new AtomicInteger()).incrementAndGet();
            waiters = subscribeWaiters.remove(filter);
        }
        if (waiters != null) {
            waiters.forEach(Promise::tryComplete);
        }
    }
}
