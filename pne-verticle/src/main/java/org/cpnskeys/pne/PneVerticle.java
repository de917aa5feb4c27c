package org.cpnskeys.pne;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;

import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.StatusReport;
import org.cpnskeys.protocol.Topics;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.WrappedKey;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.EuKeyWrap;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.protocol.crypto.KeyCheckValue;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.X25519;
import org.cpnskeys.protocol.mqtt.MqttConnection;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One PNE asking for its EUKey (F1, F2, R2): sends a Key Request over the mutually authenticated PAN, as
 * proxy request when it has no UI (R3) or with its user's ID when it has one (R1), answers the digest
 * challenge itself in the latter case, sends the same request again (same request ID) when no answer comes,
 * waits while the user decides ({@code 202}), decrypts when the key was wrapped for it (R18) and stores the
 * EUKey (F10). Completes {@code outcome} once and then stays idle.
 */
public final class PneVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(PneVerticle.class);
    private static final int MAX_CHALLENGES = 3;

    private final PneConfig config;
    private final MessageCodec codec;
    private final Promise<PneOutcome> outcome;
    private final RequestId requestId = RequestId.of(UUID.randomUUID().toString());
    private MqttConnection pan;
    private KeyRequest current;
    private int attempts;
    private int challenges;
    private long timer = -1;
    private Ha1 ha1;
    private String cnonce;
    private String nonce;
    private X25519.EphemeralKeyPair keys;

    public PneVerticle(final PneConfig config, final MessageCodec codec, final Promise<PneOutcome> outcome) {
        this.config = config;
        this.codec = codec;
        this.outcome = outcome;
    }

    @Override
    public Future<?> start() {
        pan = MqttConnection.create(vertx, config.pan(), config.entityId().value());
        final java.util.List<Future<Void>> subscriptions = new java.util.ArrayList<>();
        for (final String topic : Topics.panReplyTopics(config.entityId())) {
            subscriptions.add(pan.subscribe(topic, this::onReply));
        }
        return Future.all(subscriptions)
                .compose(v -> pan.start(config.replyTimeout().multipliedBy(config.attempts())))
                .compose(v -> firstRequest())
                .onSuccess(this::send);
    }

    @Override
    public Future<?> stop() {
        cancelTimer();
        if (ha1 != null) {
            ha1.destroy();
        }
        if (keys != null) {
            keys.close();
        }
        outcome.tryComplete(new PneOutcome(config.entityId(), Status.UNAVAILABLE, "stopped", Optional.empty(),
                Optional.empty()));
        return pan == null ? Future.succeededFuture() : pan.stop();
    }

    private Future<KeyRequest> firstRequest() {
        if (config.proxy()) {
            return Future.succeededFuture(KeyRequest.proxy(requestId, config.entityId(), config.description()));
        }
        return config.login().get().userId().map(user -> KeyRequest.withUi(requestId, config.entityId(), user,
                config.description()));
    }

    private void send(final KeyRequest request) {
        current = request;
        attempts = 0;
        resend();
    }

    private void resend() {
        if (outcome.future().isComplete()) {
            return;
        }
        if (attempts >= config.attempts()) {
            finish(Status.UNAVAILABLE, "no answer from the gateway after " + attempts + " attempts");
            return;
        }
        attempts++;
        LOG.info("F2 PNE {} sends Key Request {} ({}){}", config.entityId(), requestId,
                current.proxy() ? "asks the gateway to act as proxy" : "with its user's ID",
                attempts > 1 ? " again, attempt " + attempts : "");
        pan.publish(Topics.pan(config.entityId(), Topics.KEY_REQUEST), codec.encode(current))
                .onFailure(e -> LOG.info("PNE {}: Key Request not sent yet: {}", config.entityId(), e.getMessage()));
        schedule(config.replyTimeout().toMillis(), this::resend);
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
        if (message instanceof StatusReport s) {
            onStatus(s);
        } else if (message instanceof Challenge c && c.requestId().equals(requestId)) {
            onChallenge(c);
        } else if (message instanceof KeyDelivery d && d.requestId().equals(requestId)) {
            onDelivery(d);
        }
    }

    private void onStatus(final StatusReport s) {
        if (s.requestId().isPresent() && !s.requestId().get().equals(requestId)) {
            return;
        }
        if (s.status() == Status.PENDING) {
            final int wait = s.retryAfter().orElse(2);
            LOG.info("PNE {}: {} ({}), asking again in {} s", config.entityId(), s.status(), s.reason(), wait);
            attempts = 0;
            schedule(wait * 1000L, this::resend);
        } else {
            finish(s.status(), s.reason());
        }
    }

    private void onChallenge(final Challenge c) {
        if (config.proxy()) {
            LOG.warn("PNE {}: unexpected challenge for a proxy request; ignored", config.entityId());
            return;
        }
        if (config.realm().isPresent() && !config.realm().get().equals(c.realm())) {
            // [H] 4g: a pinned realm; the codec already refused a malformed realm or nonce
            LOG.warn("PNE {}: challenge for realm \"{}\" refused: this PNE answers only realm \"{}\" (--realm)",
                    config.entityId(), c.realm(), config.realm().get());
            finish(Status.UNAUTHORIZED, "challenge for another realm (" + c.realm() + ") refused");
            return;
        }
        if (++challenges > MAX_CHALLENGES) {
            finish(Status.UNAUTHORIZED, "too many challenges");
            return;
        }
        cancelTimer();
        LOG.info("R1 PNE {} answers the server's digest challenge with its user's password", config.entityId());
        loginHa1(c.realm()).onSuccess(h -> {
            nonce = c.nonce();
            cnonce = DigestClient.cnonce();
            if (keys != null) {
                keys.close();
            }
            keys = X25519.generate(); // v2: a fresh ephemeral key per answer, named by the digest-uri
            final UserId user = current.userId().orElseThrow();
            send(DigestClient.answer(current, user.value(), h, c.realm(), keys.publicKey(), nonce, DigestClient.nc(1),
                    cnonce));
        }).onFailure(e -> finish(Status.UNAUTHORIZED, "no password: " + e.getMessage()));
    }

    private Future<Ha1> loginHa1(final String realm) {
        if (ha1 != null) {
            return Future.succeededFuture(ha1);
        }
        final UserId user = current.userId().orElseThrow();
        return config.login().get().password(realm).map(pw -> {
            try {
                ha1 = DigestClient.ha1(user.value(), realm, pw);
                return ha1;
            } finally {
                Arrays.fill(pw, '\0');
            }
        });
    }

    private void onDelivery(final KeyDelivery d) {
        if (!d.delivered()) {
            if ((d.status() == Status.UNAVAILABLE || d.status() == Status.TOO_MANY_REQUESTS)
                    && attempts < config.attempts()) {
                LOG.info("PNE {}: {} ({}), asking again", config.entityId(), d.status(), d.reason().orElse(""));
                // The answer may have reached the server: a digest answer is good once, so start over with a
                // fresh challenge (same request ID: the server returns the same key if it assigned one).
                current = current.withoutAuthorization();
                challenges = 0;
                schedule(d.retryAfter().isPresent() ? d.retryAfter().getAsInt() * 1000L : config.replyTimeout().toMillis(),
                        this::resend);
                return;
            }
            finish(d.status(), d.reason().orElse("refused"));
            return;
        }
        if (!config.proxy() && d.wrappedKey().isEmpty()) {
            // [H] 3: a PNE with UI accepts its EUKey only wrapped for it; a clear one may have been read or
            // planted by anyone on the way. Refused; the genuine answer may still come.
            d.euKey().ifPresent(SecretBytes::destroy);
            LOG.warn("PNE {}: Key Delivery {} refused: it carries the EUKey in clear, not wrapped for this PNE",
                    config.entityId(), d.keyId().map(Object::toString).orElse(""));
            return;
        }
        final SecretBytes euKey;
        try {
            euKey = config.proxy() ? d.euKey().orElseThrow(() -> new GeneralSecurityException("no clear EUKey"))
                    : unwrap(d);
        } catch (GeneralSecurityException e) {
            finish(Status.UNAUTHORIZED, "the Key Delivery failed verification");
            return;
        }
        cancelTimer();
        final String kcv = KeyCheckValue.of(euKey);
        vertx.executeBlocking(() -> {
            EuKeyStore.store(config.keyStore(), config.keyStorePassword(), config.entityId(), euKey);
            return null;
        }).onComplete(ar -> {
            euKey.destroy();
            if (ar.succeeded()) {
                LOG.info("F10 PNE {} stored EUKey {} (check value {}) in {}", config.entityId(), d.keyId().get(), kcv,
                        config.keyStore());
                outcome.tryComplete(new PneOutcome(config.entityId(), Status.OK, "EUKey stored", d.keyId(),
                        Optional.of(kcv)));
            } else {
                finish(Status.INTERNAL_ERROR, "EUKey could not be stored: " + ar.cause().getMessage());
            }
        });
    }

    private SecretBytes unwrap(final KeyDelivery d) throws GeneralSecurityException {
        if (ha1 == null || keys == null) {
            throw new GeneralSecurityException("a wrapped key this PNE cannot open");
        }
        final WrappedKey w = d.wrappedKey().orElseThrow();
        if (!w.cnonce().equals(cnonce) || !w.nonce().equals(nonce)) {
            throw new GeneralSecurityException("wrapped for another answer");
        }
        final SecretBytes key;
        try (SecretBytes shared = keys.agree(w.epk())) {
            key = EuKeyWrap.unwrap(w, ha1, shared, new EuKeyWrap.Context(nonce, cnonce, config.entityId(),
                    d.userId().orElseThrow(), requestId, d.keyId().orElseThrow(), keys.publicKey(), w.epk()));
        } finally {
            keys.close(); // forward secrecy: nothing here can open this delivery again
        }
        LOG.info("R18 PNE {} decrypted its EUKey {} itself", config.entityId(), d.keyId().get());
        return key;
    }

    private void finish(final int status, final String reason) {
        cancelTimer();
        if (!outcome.future().isComplete()) {
            LOG.info("PNE {}: no EUKey: {} {}", config.entityId(), status, reason);
        }
        outcome.tryComplete(new PneOutcome(config.entityId(), status, reason, Optional.empty(), Optional.empty()));
    }

    private void schedule(final long delayMs, final Runnable action) {
        cancelTimer();
        timer = vertx.setTimer(Math.max(1, delayMs), t -> {
            timer = -1;
            action.run();
        });
    }

    private void cancelTimer() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }
}
