package org.cpnskeys.bench.load;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;

import org.cpnskeys.deploy.HiveMqClientTls;
import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.StatusReport;
import org.cpnskeys.protocol.Topics;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.Ha1;

/**
 * PN GWs played on the cloud leg only (no PAN, no PNE, no approval): each is one MQTT 5 connection
 * (hivemq-mqtt-client) registered on the cloud broker, holding one user's HA1. A proxy assignment is what the
 * real gateway does after its user approved: Key Request, digest answer (the gateway's current nonce with the
 * next nonce count, or the nonce of a challenge), Key Delivery, whose wrapped EUKey is opened and reduced to
 * its key check value. An attempt not answered within the timeout is sent again with the <em>same</em>
 * request ID (next nonce count, fresh cnonce), as the real gateway does; 429/500/503 are retried after their
 * {@code retryAfter}; a 401 drops the nonce and asks for a new challenge. Used by {@code cpns bench
 * --cloud-only} and by the no-lost-request test. Thread-safe; the MQTT client's callbacks do the (small) crypto.
 * <p>Why hivemq-mqtt-client and not the product's {@code MqttConnection}: the load generator is the product's
 * independent counterpart (a second MQTT implementation, as vertx-mqtt is tested against Paho), so a fault in
 * the product's client (acknowledgements, resubscription, reconnection) cannot hide behind the same fault on the
 * other side (ClusterNoLostRequestIT counts on it), and the ceilings in docs/PERFORMANCE.md stay comparable.
 */
public final class SimulatedGateways implements AutoCloseable {
    /** A registered gateway: its ID and broker token. */
    public record Login(GatewayId id, String token) {
    }

    /**
     * Where and as whom the gateways work, and how patiently. With {@code cloudCaPem} the gateways connect with TLS,
     * trusting that CA, with host name verification; without it, plain and only to a loopback host.
     */
    public record Settings(String host, int port, UserId user, String realm, Ha1 ha1, Duration attemptTimeout,
            int maxAttempts, Optional<String> cloudCaPem) {
        public Settings {
            if (attemptTimeout.isNegative() || attemptTimeout.isZero() || maxAttempts < 1) {
                throw new IllegalArgumentException("attempt timeout and max attempts must be positive");
            }
            if (cloudCaPem.isEmpty()) {
                org.cpnskeys.protocol.mqtt.PlaintextPolicy.check(host, false, "cloud link of the simulated gateways");
            }
        }
    }

    /**
     * How one assignment ended: the final status (200, a refusal, or -1 when every attempt timed out), the
     * attempts it took (1 = answered at the first try), the delivered key's ID and key check value, and the
     * digest-answered Key Request whose reply delivered the key (its nonce and nc were accepted by a server), and
     * how many digest answers were sent for it in all (1: that one answer is the only one any server saw).
     */
    public record Outcome(int gateway, EntityId entity, RequestId requestId, int status, int attempts,
            Optional<KeyId> keyId, Optional<String> keyCheckValue, Optional<KeyRequest> acceptedAnswer, int answersSent) {
        public boolean delivered() {
            return status == Status.OK;
        }
    }


    private final Settings settings;
    private final MessageCodec codec = new MessageCodec();
    private final List<Gateway> gateways = new ArrayList<>();
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
        final Thread t = new Thread(r, "simulated-gateway-timers");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong retries = new AtomicLong();
    private final AtomicLong conflictingLateKeys = new AtomicLong();
    private final AtomicLong lateReplies = new AtomicLong();

    private SimulatedGateways(final Settings settings) {
        this.settings = settings;
    }

    /** Connects every gateway (MQTT 5, clean start) and subscribes to its reply topics; blocks until done. */
    public static SimulatedGateways connect(final Settings settings, final List<Login> logins) throws Exception {
        final SimulatedGateways all = new SimulatedGateways(settings);
        try {
            for (final Login login : logins) {
                all.gateways.add(all.new Gateway(all.gateways.size(), login));
            }
            return all;
        } catch (Exception e) {
            all.close();
            throw e;
        }
    }

    public int size() {
        return gateways.size();
    }

    /** Retries sent so far because an attempt timed out or was refused for the time being (all gateways). */
    public long retries() {
        return retries.get();
    }

    /** Replies that came for requests already finished (answers to an earlier attempt of a retried request). */
    public long lateReplies() {
        return lateReplies.get();
    }

    /** Late 200 replies whose key differs from the one the request already got: a second key (must stay 0). */
    public long conflictingLateKeys() {
        return conflictingLateKeys.get();
    }

    /** One proxy assignment by gateway {@code gateway}: completes (never fails) when it ended. */
    public CompletableFuture<Outcome> assign(final int gateway, final EntityId entity, final RequestId requestId) {
        final Gateway g = gateways.get(gateway);
        final PendingAssignment p = new PendingAssignment(settings.user(), entity, requestId);
        if (g.pending.putIfAbsent(requestId, p) != null) {
            throw new IllegalStateException("request " + requestId + " is already under way at gateway " + gateway);
        }
        g.attempt(p);
        return p.done;
    }

    /**
     * Sends {@code request} exactly as given (for example a digest answer again, to see it refused) and completes
     * with the first reply for its request ID, or fails after {@code timeout}. The request ID must not be under
     * way at that gateway.
     */
    public CompletableFuture<CpnsMessage> sendOnce(final int gateway, final KeyRequest request, final Duration timeout) {
        final Gateway g = gateways.get(gateway);
        final CompletableFuture<CpnsMessage> reply = new CompletableFuture<>();
        if (g.probes.putIfAbsent(request.requestId(), reply) != null) {
            throw new IllegalStateException("a probe for " + request.requestId() + " is already waiting");
        }
        g.publish(request);
        return reply.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((r, e) -> g.probes.remove(request.requestId(), reply));
    }

    @Override
    public void close() {
        for (final Gateway g : gateways) {
            g.close();
        }
        timers.shutdownNow();
    }

    private final class Gateway {
        final int index;
        final GatewayId id;
        final Mqtt5AsyncClient client;
        final Map<RequestId, PendingAssignment> pending = new ConcurrentHashMap<>();
        final Map<RequestId, CompletableFuture<CpnsMessage>> probes = new ConcurrentHashMap<>();
        final Map<RequestId, String> finishedKeys = new ConcurrentHashMap<>();
        /** The gateway's nonce, nonce count and ephemeral key pairs, as the real gateway keeps them. */
        private final SimulatedNonce digest = new SimulatedNonce(settings.ha1());
        Gateway(final int index, final Login login) throws Exception {
            this.index = index;
            this.id = login.id();
            client = MqttClient.builder().useMqttVersion5().identifier(id.value()).serverHost(settings.host())
                    .serverPort(settings.port()).automaticReconnectWithDefaultConfig()
                    .sslConfig(settings.cloudCaPem().map(HiveMqClientTls::trusting).orElse(null))
                    .simpleAuth().username(id.value()).password(login.token().getBytes(StandardCharsets.US_ASCII))
                    .applySimpleAuth().buildAsync();
            client.connect().get(30, TimeUnit.SECONDS);
            for (final String topic : Topics.cloudReplyTopics(id, 0)) {
                client.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).callback(this::onReply).send()
                        .get(30, TimeUnit.SECONDS);
            }
        }

        /** One attempt: answered with the current nonce if there is one, else a plain request (a challenge follows). */
        void attempt(final PendingAssignment p) {
            synchronized (p) {
                if (p.done.isDone()) {
                    return;
                }
                if (p.attempts >= settings.maxAttempts()) {
                    finish(p, -1, Optional.empty(), Optional.empty(), Optional.empty());
                    return;
                }
                p.attempts++;
                if (p.attempts > 1) {
                    retries.incrementAndGet();
                }
                final Optional<String[]> n = digest.next();
                publish(n.isPresent() ? answer(p, n.get()[0], n.get()[1]) : p.plain());
                rearm(p);
            }
        }

        /** (Re)starts the attempt timer: no reply within the timeout means another attempt, same request ID. */
        private void rearm(final PendingAssignment p) {
            rearm(p, settings.attemptTimeout().toMillis());
        }

        /** Another attempt with the same request ID after {@code delayMillis}, unless one was made meanwhile. */
        private void rearm(final PendingAssignment p, final long delayMillis) {
            if (p.timer != null) {
                p.timer.cancel(false);
            }
            final int attemptNow = p.attempts;
            p.timer = timers.schedule(() -> {
                synchronized (p) {
                    if (p.attempts != attemptNow) {
                        return;
                    }
                }
                attempt(p);
            }, delayMillis, TimeUnit.MILLISECONDS);
        }

        private KeyRequest answer(final PendingAssignment p, final String withNonce, final String ncHex) {
            final String cnonce = DigestClient.cnonce();
            final KeyRequest answered = DigestClient.answer(p.plain(), settings.user().value(), settings.ha1(),
                    settings.realm(), digest.keysOf(withNonce).publicKey(), withNonce, ncHex, cnonce);
            p.answersByCnonce.put(cnonce, answered);
            p.lastNonce = withNonce;
            return answered;
        }

        void publish(final KeyRequest request) {
            client.publishWith().topic(Topics.cloud(id, 0, Topics.KEY_REQUEST)).qos(MqttQos.AT_LEAST_ONCE)
                    .payload(codec.encode(request).getBytes()).send();
        }

        private void onReply(final Mqtt5Publish publish) {
            final CpnsMessage message;
            try {
                message = codec.decode(publish.getPayloadAsBytes());
            } catch (ProtocolException e) {
                return;
            }
            final Optional<RequestId> requestId = requestIdOf(message);
            if (requestId.isEmpty()) {
                return;
            }
            final CompletableFuture<CpnsMessage> probe = probes.get(requestId.get());
            if (probe != null) {
                probe.complete(message);
                return;
            }
            final PendingAssignment p = pending.get(requestId.get());
            if (p == null) {
                late(requestId.get(), message);
                return;
            }
            if (message instanceof Challenge c) {
                onChallenge(p, c);
            } else if (message instanceof KeyDelivery d && d.delivered()) {
                onDelivery(p, d);
            } else {
                final int status = message instanceof KeyDelivery d ? d.status() : ((StatusReport) message).status();
                final int retryAfter = message instanceof KeyDelivery d ? d.retryAfter().orElse(0)
                        : ((StatusReport) message).retryAfter().orElse(0);
                onRefusal(p, status, retryAfter);
            }
        }

        private void onChallenge(final PendingAssignment p, final Challenge c) {
            digest.take(c.nonce());
            synchronized (p) {
                if (p.done.isDone()) {
                    return;
                }
                final Optional<String[]> n = digest.next();
                if (n.isPresent()) {
                    publish(answer(p, n.get()[0], n.get()[1]));
                    rearm(p);
                }
            }
        }

        private void onDelivery(final PendingAssignment p, final KeyDelivery d) {
            final String kcv;
            try {
                kcv = digest.open(p.entity, p.requestId, d);
            } catch (GeneralSecurityException e) {
                onRefusal(p, Status.UNAUTHORIZED, 0);
                return;
            }
            final Optional<KeyRequest> answered = Optional.ofNullable(
                    p.answersByCnonce.get(d.wrappedKey().get().cnonce()));
            synchronized (p) {
                if (p.done.isDone()) {
                    // a second 200 raced with the first one: it must carry the same key
                    lateReplies.incrementAndGet();
                    if (!kcv.equals(finishedKeys.get(p.requestId))) {
                        conflictingLateKeys.incrementAndGet();
                    }
                    return;
                }
                finishedKeys.put(p.requestId, kcv);
                finish(p, Status.OK, d.keyId(), Optional.of(kcv), answered);
            }
        }

        private void onRefusal(final PendingAssignment p, final int status, final int retryAfterSeconds) {
            synchronized (p) {
                if (p.done.isDone()) {
                    return;
                }
                if (status == Status.UNAUTHORIZED) {
                    // a nonce count already used, or a nonce the server no longer takes: ask for a new challenge
                    if (p.lastNonce != null) {
                        digest.drop(p.lastNonce);
                    }
                } else if (status != Status.TOO_MANY_REQUESTS && status != Status.UNAVAILABLE
                        && status != Status.INTERNAL_ERROR) {
                    finish(p, status, Optional.empty(), Optional.empty(), Optional.empty());
                    return;
                }
                rearm(p, Math.min(5000, Math.max(200, retryAfterSeconds * 1000L)));
            }
        }

        private void finish(final PendingAssignment p, final int status, final Optional<KeyId> keyId, final Optional<String> kcv,
                final Optional<KeyRequest> answered) {
            if (p.timer != null) {
                p.timer.cancel(false);
            }
            pending.remove(p.requestId, p);
            p.done.complete(new Outcome(index, p.entity, p.requestId, status, p.attempts, keyId, kcv, answered,
                    p.answersByCnonce.size()));
        }

        /** A reply to an attempt of a request that already ended: a second 200 must carry the same key. */
        private void late(final RequestId requestId, final CpnsMessage message) {
            lateReplies.incrementAndGet();
            final String first = finishedKeys.get(requestId);
            if (first != null && message instanceof KeyDelivery d && d.delivered()) {
                try {
                    if (!first.equals(digest.open(d.entityId(), requestId, d))) {
                        conflictingLateKeys.incrementAndGet();
                    }
                } catch (GeneralSecurityException e) {
                    conflictingLateKeys.incrementAndGet();
                }
            }
        }

        void close() {
            try {
                client.disconnect().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // already gone
            }
        }
    }

    private static Optional<RequestId> requestIdOf(final CpnsMessage message) {
        if (message instanceof Challenge c) {
            return Optional.of(c.requestId());
        }
        if (message instanceof KeyDelivery d) {
            return Optional.of(d.requestId());
        }
        if (message instanceof StatusReport s) {
            return s.requestId();
        }
        return Optional.empty();
    }
}
