package org.cpnskeys.protocol.mqtt;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;
import io.vertx.mqtt.messages.MqttPublishMessage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that talks to vertx-mqtt's client, which never reconnects by itself and throws when asked to
 * publish while down. This class reconnects with jittered exponential backoff, resubscribes every filter
 * after a reconnect, completes a QoS-1 publish only when the broker acknowledged it, and fails a publish
 * cleanly while disconnected. Its outages are reported by {@link OutageLog}: one WARN line per state change (lost,
 * still unreachable once a minute, back), never a stack trace above DEBUG. Use it from one Vert.x context (the
 * verticle that created it).
 */
public final class MqttConnection {
    private static final Logger LOG = LoggerFactory.getLogger(MqttConnection.class);
    /** In-flight QoS-1 publishes per connection; brokers are configured to accept at least as many. */
    public static final int MAX_INFLIGHT = 1000;
    private static final long MIN_BACKOFF_MS = 100;
    private static final long MAX_BACKOFF_MS = 5_000;
    /** A QoS-1 publish the broker has not acknowledged in this time fails, and the connection is renewed. */
    static final java.time.Duration ACK_TIMEOUT = java.time.Duration.ofSeconds(30);

    private final Vertx vertx;
    private final MqttEndpoint endpoint;
    private final String clientId;
    private final MqttClient client;
    private final Map<String, Handler<Inbound>> subscriptions = new LinkedHashMap<>();
    private final Map<Integer, PendingAck> pendingAcks = new HashMap<>();
    private final java.util.Set<Integer> earlyAcks = new java.util.HashSet<>();
    private final Map<Integer, Promise<Void>> pendingSubs = new HashMap<>();
    private final Map<Integer, Boolean> earlySubAcks = new HashMap<>();
    private final List<Consumer<Boolean>> stateListeners = new ArrayList<>();
    private final List<Promise<Void>> connectWaiters = new ArrayList<>();
    private Promise<Void> firstConnect;
    private long backoffMs = MIN_BACKOFF_MS;
    private boolean stopping;
    private boolean connecting;
    private long sweepTimer;
    private final OutageLog outages;
    /** Why the connection is about to close, when known (the client's last exception, an acknowledgement timeout). */
    private String closeReason;

    /** A publish waiting for its PUBACK, with when it was sent. */
    private record PendingAck(Promise<Void> promise, long sentNanos) {
    }

    /** One received message. */
    public record Inbound(String topic, Buffer payload) {
    }

    private final java.time.Duration ackTimeout;

    private MqttConnection(final Vertx vertx, final MqttEndpoint endpoint, final String clientId,
            final java.time.Duration ackTimeout) {
        this.vertx = vertx;
        this.ackTimeout = ackTimeout;
        this.endpoint = endpoint;
        this.clientId = clientId;
        this.outages = new OutageLog(clientId, endpoint, OutageLog.REMIND_EVERY, System::nanoTime);
        final MqttClientOptions options = new MqttClientOptions()
                .setClientId(clientId)
                .setCleanSession(true)
                .setKeepAliveInterval(30)
                .setAutoKeepAlive(true)
                .setMaxInflightQueue(MAX_INFLIGHT)
                .setAckTimeout(-1) // no timer per publish: one sweep per connection instead (sweepAcks)
                .setMaxMessageSize(64 * 1024);
        endpoint.username().ifPresent(options::setUsername);
        endpoint.password().ifPresent(options::setPassword);
        if (endpoint.tls()) {
            options.setSsl(true);
            endpoint.trust().ifPresent(options::setTrustOptions);
            endpoint.keyCert().ifPresent(options::setKeyCertOptions);
            options.setHostnameVerificationAlgorithm(endpoint.verifyHostname() ? "HTTPS" : "");
        }
        options.setConnectTimeout(10_000);
        this.client = MqttClient.create(vertx, options);
        client.publishHandler(this::dispatch);
        client.publishCompletionHandler(id -> complete(id, null));
        client.publishCompletionUnknownPacketIdHandler(id -> { });
        client.subscribeCompletionHandler(ack -> {
            final boolean refused = ack.grantedQoSLevels().stream().anyMatch(q -> q == 0x80);
            final Promise<Void> p = pendingSubs.remove(ack.messageId());
            if (p == null) {
                earlySubAcks.put(ack.messageId(), refused);
            } else {
                completeSubscription(p, refused);
            }
        });
        client.closeHandler(v -> onClosed());
        client.exceptionHandler(e -> {
            LOG.debug("{}: {}", clientId, e.toString());
            closeReason = OutageLog.reason(e);
        });
    }

    public static MqttConnection create(final Vertx vertx, final MqttEndpoint endpoint, final String clientId) {
        return new MqttConnection(vertx, endpoint, clientId, ACK_TIMEOUT);
    }

    /** With another acknowledgement timeout than {@link #ACK_TIMEOUT} (for tests). */
    static MqttConnection create(final Vertx vertx, final MqttEndpoint endpoint, final String clientId,
            final java.time.Duration ackTimeout) {
        return new MqttConnection(vertx, endpoint, clientId, ackTimeout);
    }

    public String clientId() {
        return clientId;
    }

    public boolean isConnected() {
        return client.isConnected();
    }

    /**
     * Like {@link #start()}, but gives up (and stops retrying) when no connection was made within
     * {@code giveUpAfter}: for clients that must report failure rather than wait forever.
     */
    public Future<Void> start(final java.time.Duration giveUpAfter) {
        final Future<Void> started = start();
        final long timer = vertx.setTimer(Math.max(1, giveUpAfter.toMillis()), t -> {
            if (!started.isComplete()) {
                stopping = true;
                firstConnect.tryFail(new IllegalStateException("could not connect to " + endpoint + " within "
                        + giveUpAfter.toSeconds() + " s"));
            }
        });
        return started.onComplete(ar -> vertx.cancelTimer(timer));
    }

    /**
     * Completes when the connection is up: at once if it is, else at the next (re)connect, failing after
     * {@code max}. Lets a caller ride out a broker restart instead of failing at the first try.
     */
    public Future<Void> connected(final java.time.Duration max) {
        if (client.isConnected()) {
            return Future.succeededFuture();
        }
        final Promise<Void> p = Promise.promise();
        connectWaiters.add(p);
        final long timer = vertx.setTimer(Math.max(1, max.toMillis()), t -> {
            connectWaiters.remove(p);
            p.tryFail(new IllegalStateException("not connected to " + endpoint + " within " + max.toMillis() + " ms"));
        });
        return p.future().onComplete(ar -> vertx.cancelTimer(timer));
    }

    /** Called with true on every (re)connect and false on every loss. */
    public MqttConnection onStateChange(final Consumer<Boolean> listener) {
        stateListeners.add(listener);
        return this;
    }

    /**
     * Connects; the future completes on the first successful connection (including subscriptions made
     * before). Until then, and after every loss, it keeps retrying with backoff.
     */
    public Future<Void> start() {
        if (firstConnect == null) {
            firstConnect = Promise.promise();
            stopping = false;
            sweepTimer = vertx.setPeriodic(Math.max(1, ackTimeout.toMillis() / 6), t -> sweepAcks());
            attempt();
        }
        return firstConnect.future();
    }

    /**
     * Subscribes with QoS 1 and keeps the subscription across reconnects. The future completes when the
     * broker granted it (immediately if not yet connected: it is made on connect) and fails when refused.
     */
    public Future<Void> subscribe(final String filter, final Handler<Inbound> handler) {
        subscriptions.put(filter, handler);
        if (!client.isConnected()) {
            return Future.succeededFuture();
        }
        // A refused filter is forgotten: kept, it would fail every later resubscription and so every reconnect.
        return subscribeOne(filter).onFailure(e -> {
            if (e.getCause() instanceof Refused) {
                subscriptions.remove(filter, handler);
            }
        });
    }

    /** The broker answered a SUBSCRIBE with failure (0x80), as opposed to the connection being lost. */
    private static final class Refused extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        Refused() {
            super("broker refused subscription");
        }
    }

    /** Publishes with QoS 1; completes when the broker acknowledged it, fails if disconnected. */
    public Future<Void> publish(final String topic, final Buffer payload) {
        if (!client.isConnected()) {
            return Future.failedFuture(new IllegalStateException("not connected to " + endpoint));
        }
        try {
            return client.publish(topic, payload, MqttQoS.AT_LEAST_ONCE, false, false).compose(id -> {
                if (earlyAcks.remove(id)) {
                    return Future.succeededFuture();
                }
                final Promise<Void> ack = Promise.promise();
                pendingAcks.put(id, new PendingAck(ack, System.nanoTime()));
                return ack.future();
            });
        } catch (RuntimeException e) {
            return Future.failedFuture(new IllegalStateException("publish to " + endpoint + " failed: " + e));
        }
    }

    public Future<Void> stop() {
        stopping = true;
        if (sweepTimer != 0) {
            vertx.cancelTimer(sweepTimer);
            sweepTimer = 0;
        }
        failPending("connection closed");
        if (firstConnect != null && !firstConnect.future().isComplete()) {
            firstConnect.tryFail("stopped before connecting");
        }
        return client.isConnected() ? client.disconnect().recover(e -> Future.succeededFuture()) : Future.succeededFuture();
    }

    private void attempt() {
        if (stopping || connecting) {
            return;
        }
        connecting = true;
        client.connect(endpoint.port(), endpoint.host())
                .compose(ack -> resubscribeAll())
                .onComplete(ar -> {
                    connecting = false;
                    if (ar.succeeded()) {
                        backoffMs = MIN_BACKOFF_MS;
                        closeReason = null;
                        outages.connected();
                        stateListeners.forEach(l -> l.accept(true));
                        firstConnect.tryComplete();
                        final List<Promise<Void>> waiters = new ArrayList<>(connectWaiters);
                        connectWaiters.clear();
                        waiters.forEach(Promise::tryComplete);
                    } else {
                        outages.attemptFailed(ar.cause());
                        if (client.isConnected()) {
                            client.disconnect();
                        }
                        if (ar.cause().getCause() instanceof Refused && !firstConnect.future().isComplete()) {
                            // A refused subscription will be refused again: report it instead of retrying.
                            stopping = true;
                            firstConnect.tryFail(ar.cause());
                            return;
                        }
                        scheduleReconnect();
                    }
                });
    }

    private void onClosed() {
        failPending("connection lost");
        stateListeners.forEach(l -> l.accept(false));
        if (!stopping && !connecting) {
            outages.lost(closeReason == null ? "closed by the broker or the network" : closeReason);
            closeReason = null;
            scheduleReconnect();
        }
    }

    private void scheduleReconnect() {
        if (stopping) {
            return;
        }
        final long delay = backoffMs / 2 + ThreadLocalRandom.current().nextLong(backoffMs / 2 + 1);
        backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        vertx.setTimer(delay, t -> attempt());
    }

    private Future<Void> resubscribeAll() {
        final List<Future<Void>> all = new ArrayList<>();
        for (final String filter : subscriptions.keySet()) {
            all.add(subscribeOne(filter));
        }
        return Future.all(all).mapEmpty();
    }

    private Future<Void> subscribeOne(final String filter) {
        final Promise<Void> granted = Promise.promise();
        try {
            client.subscribe(filter, MqttQoS.AT_LEAST_ONCE.value())
                    .onSuccess(id -> {
                        final Boolean refused = earlySubAcks.remove(id);
                        if (refused == null) {
                            pendingSubs.put(id, granted);
                        } else {
                            completeSubscription(granted, refused);
                        }
                    })
                    .onFailure(granted::tryFail);
        } catch (RuntimeException e) {
            granted.tryFail(e);
        }
        return granted.future().recover(e -> Future.failedFuture(
                new IllegalStateException("subscription to " + filter + " refused by " + endpoint, e)));
    }

    private static void completeSubscription(final Promise<Void> p, final boolean refused) {
        if (refused) {
            p.tryFail(new Refused());
        } else {
            p.tryComplete();
        }
    }

    private void dispatch(final MqttPublishMessage message) {
        final String topic = message.topicName();
        for (final Map.Entry<String, Handler<Inbound>> e : subscriptions.entrySet()) {
            if (TopicFilter.matches(e.getKey(), topic)) {
                try {
                    e.getValue().handle(new Inbound(topic, message.payload()));
                } catch (RuntimeException ex) {
                    LOG.warn("{}: handler for {} failed: {}", clientId, topic, ex.toString());
                }
                return;
            }
        }
    }

    private void complete(final int packetId, final String failure) {
        final PendingAck p = pendingAcks.remove(packetId);
        if (p == null && failure == null) {
            earlyAcks.add(packetId);
        }
        if (p != null) {
            if (failure == null) {
                p.promise().tryComplete();
            } else {
                p.promise().tryFail(new IllegalStateException(failure));
            }
        }
    }

    /**
     * Fails the publishes the broker left unacknowledged for the acknowledgement timeout and renews the connection
     * (a broker that drops acknowledgements is not to be trusted with the next ones; the reconnect also frees
     * the client's in-flight window). One periodic check per connection, not one timer per publish.
     */
    private void sweepAcks() {
        if (pendingAcks.isEmpty()) {
            return;
        }
        final long now = System.nanoTime();
        final long limit = ackTimeout.toNanos();
        final List<PendingAck> overdue = new ArrayList<>();
        pendingAcks.values().removeIf(p -> now - p.sentNanos() >= limit && overdue.add(p));
        overdue.forEach(p -> p.promise().tryFail(new IllegalStateException("broker did not acknowledge in time")));
        if (!overdue.isEmpty() && client.isConnected()) {
            LOG.warn("{}: {} left publishes unacknowledged for {} s; reconnecting", clientId, endpoint,
                    ackTimeout.toMillis() / 1000.0);
            closeReason = "publishes not acknowledged in time";
            client.disconnect();
        }
    }

    private void failPending(final String why) {
        earlyAcks.clear();
        earlySubAcks.clear();
        pendingSubs.values().forEach(p -> p.tryFail(new IllegalStateException(why)));
        pendingSubs.clear();
        if (pendingAcks.isEmpty()) {
            return;
        }
        final List<PendingAck> all = new ArrayList<>(pendingAcks.values());
        pendingAcks.clear();
        all.forEach(p -> p.promise().tryFail(new IllegalStateException(why)));
    }
}
