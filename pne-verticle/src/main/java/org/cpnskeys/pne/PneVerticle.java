package org.cpnskeys.pne;

import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;

import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.Topics;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.mqtt.MqttConnection;
import org.cpnskeys.protocol.trace.HopSpan;
import org.cpnskeys.protocol.trace.Tracing;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One PNE asking for its EUKey over the mutually authenticated PAN: translates between the PAN broker and a
 * {@link PneSession}, which decides (proxy or UI path, digest answer, unwrap, refusals). Decodes what the
 * gateway sends, publishes the Key Requests, keeps the session's timer and stores its EUKey (PKCS#12, on a
 * worker). Completes {@code outcome} once and then stays idle.
 */
public final class PneVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(PneVerticle.class);

    private final PneConfig config;
    private final MessageCodec codec;
    private final Promise<PneOutcome> outcome;
    private final PneExchange session;
    private Tracing tracing = Tracing.OFF;
    private HopSpan span;
    private MqttConnection pan;
    private long timer = -1;

    public PneVerticle(final PneConfig config, final MessageCodec codec, final Promise<PneOutcome> outcome) {
        this(config, codec, outcome, false);
    }

    /**
     * @param release true: the PNE (with UI) releases its EUKey ({@code key-release}) and deletes it once the server
     *        confirms, instead of asking for one
     */
    public PneVerticle(final PneConfig config, final MessageCodec codec, final Promise<PneOutcome> outcome,
            final boolean release) {
        this.config = config;
        this.codec = codec;
        this.outcome = outcome;
        final RequestId id = RequestId.of(UUID.randomUUID().toString());
        this.session = release ? new PneReleaseSession(settings(config), id, new PanPort(), outcome)
                : new PneSession(settings(config), id, new PanPort(), outcome);
    }

    /** What the session needs of the configuration (all but the broker and the key store). */
    static PneSession.Settings settings(final PneConfig config) {
        return new PneSession.Settings(config.entityId(), config.login(), config.description(), config.realm(),
                config.replyTimeout(), config.attempts());
    }

    /** Makes the assignment's span with {@code newTracing} (call before deployment; default {@link Tracing#OFF}). */
    public PneVerticle tracedBy(final Tracing newTracing) {
        this.tracing = Objects.requireNonNull(newTracing);
        return this;
    }

    @Override
    public Future<?> start() {
        // one span for the whole assignment, from the first Key Request to the stored key or the refusal
        span = tracing.start("pne.assignment", Optional.empty(), HopSpan.Kind.CLIENT)
                .request(config.entityId(), session.requestId());
        outcome.future().onComplete(o -> span.outcome(o.succeeded() && o.result().status() == Status.OK
                ? "stored" : "failed", o.succeeded() ? o.result().status() : Status.INTERNAL_ERROR).end());
        pan = MqttConnection.create(vertx, config.pan(), config.entityId().value());
        final java.util.List<Future<Void>> subscriptions = new java.util.ArrayList<>();
        for (final String topic : Topics.panReplyTopics(config.entityId())) {
            subscriptions.add(pan.subscribe(topic, this::onReply));
        }
        return Future.all(subscriptions)
                .compose(v -> pan.start(config.replyTimeout().multipliedBy(config.attempts())))
                .compose(v -> session.start());
    }

    @Override
    public Future<?> stop() {
        session.close();
        return pan == null ? Future.succeededFuture() : pan.stop();
    }

    private void onReply(final MqttConnection.Inbound in) {
        if (outcome.future().isComplete()) {
            return;
        }
        final CpnsMessage message;
        try {
            message = codec.decode(in.payload());
        } catch (ProtocolException e) {
            LOG.warn("PNE {}: malformed message from the gateway: {}", config.entityId(), e.reason());
            return;
        }
        session.onMessage(message);
    }

    private void cancelTimer() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }

    /** The session's PAN, timer and key store. */
    private final class PanPort implements PneSession.Port, PneReleaseSession.Port {
        @Override
        public void send(final org.cpnskeys.protocol.KeyRelease release) {
            pan.publish(Topics.pan(config.entityId(), Topics.KEY_REQUEST), codec.encode(release))
                    .onFailure(e -> LOG.info("PNE {}: Key Release not sent yet: {}", config.entityId(), e.getMessage()));
        }

        @Override
        public Future<String> forget() {
            return vertx.executeBlocking(() -> {
                EuKeyStore.delete(config.keyStore());
                return config.keyStore().toString();
            });
        }

        @Override
        public void send(final KeyRequest request) {
            pan.publish(Topics.pan(config.entityId(), Topics.KEY_REQUEST), codec.encode(request, span.traceparent()))
                    .onFailure(e -> LOG.info("PNE {}: Key Request not sent yet: {}", config.entityId(), e.getMessage()));
        }

        @Override
        public void schedule(final long delayMs, final Runnable action) {
            cancelTimer();
            timer = vertx.setTimer(Math.max(1, delayMs), t -> {
                timer = -1;
                action.run();
            });
        }

        @Override
        public void cancel() {
            cancelTimer();
        }

        @Override
        public Future<String> store(final SecretBytes euKey) {
            return vertx.executeBlocking(() -> {
                EuKeyStore.store(config.keyStore(), config.keyStorePassword(), config.entityId(), euKey);
                return config.keyStore().toString();
            });
        }
    }
}
