package org.cpnskeys.pne;

import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import io.vertx.core.Future;
import io.vertx.core.Promise;

import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.StatusReport;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.WrappedKey;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.EuKeyWrap;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.protocol.crypto.KeyCheckValue;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.X25519;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One PNE's Key Request from its first send to its outcome (F1, F2, R2), free of MQTT: sends it as proxy request
 * when the PNE has no UI (R3) or with its user's ID when it has one (R1), answers the digest challenge itself in
 * the latter case ({@link DigestClient#answer}), sends the same request again (same request ID) when no answer
 * comes, waits while the user decides ({@code 202}), decrypts when the key was wrapped for it (R18:
 * {@link EuKeyWrap}, and only for a nonce and cnonce of an answer it sent) and stores the EUKey (F10). A PNE with
 * UI refuses a Key Delivery that carries the EUKey in clear. Completes its outcome once and then ignores what comes.
 *
 * <p>It keeps each of its last {@value #MAX_CHALLENGES} answers (nonce, cnonce, ephemeral key) until the outcome:
 * after a lost message or a broker restart the server may challenge a request twice, and the PNE answers both; the
 * server assigns on the first answer it checks, so the Key Delivery may be wrapped for the earlier answer.
 *
 * <p>What it sends, when it wakes and where the key goes are its {@link Port}'s job ({@code PneVerticle}: the PAN
 * broker and Vert.x timers). Not thread-safe: drive it from one context.
 */
public final class PneSession implements PneExchange {
    private static final Logger LOG = LoggerFactory.getLogger(PneSession.class);
    private static final int MAX_CHALLENGES = 3;

    /** What the session needs from around it. */
    public interface Port {
        /** Sends a Key Request to the gateway; a lost one is sent again when the timer fires. */
        void send(KeyRequest request);

        /** Runs {@code action} once after {@code delayMs}, replacing the call scheduled before, if any. */
        void schedule(long delayMs, Runnable action);

        /** Cancels the scheduled call, if any. */
        void cancel();

        /**
         * Stores the EUKey durably, off the event loop; completes with where it is (for the log). The session
         * destroys the key once this completes.
         */
        Future<String> store(SecretBytes euKey);
    }

    /**
     * What decides one PNE's behaviour (the fields of {@link PneConfig} but the broker and the key store).
     *
     * @param login present for a PNE with UI: where the user's ID and password come from
     * @param realm for a PNE with UI: the only digest realm it answers; empty: any
     */
    public record Settings(EntityId entityId, Optional<LoginPrompt> login, Optional<String> description,
            Optional<String> realm, Duration replyTimeout, int attempts) {
        public Settings {
            Objects.requireNonNull(entityId, "entityId");
            Objects.requireNonNull(login, "login");
            Objects.requireNonNull(description, "description");
            Objects.requireNonNull(realm, "realm");
            if (attempts < 1 || replyTimeout.isZero() || replyTimeout.isNegative()) {
                throw new IllegalArgumentException("attempts and reply timeout must be positive");
            }
        }

        /** A PNE without UI asks the gateway to act as its proxy. */
        public boolean proxy() {
            return login.isEmpty();
        }
    }

    private final Settings config;
    private final RequestId requestId;
    private final Port port;
    private final Promise<PneOutcome> outcome;
    private KeyRequest current;
    private int attempts;
    private int challenges;
    private Ha1 ha1;
    /** The answers sent, by cnonce, oldest first; at most {@link #MAX_CHALLENGES}. */
    private final Map<String, Answer> answers = new LinkedHashMap<>();

    /** What opens the Key Delivery of one digest answer. */
    private record Answer(String nonce, String cnonce, X25519.EphemeralKeyPair keys) {
    }

    /** A session for one Key Request of ID {@code requestId}; it completes {@code outcome}. */
    public PneSession(final Settings settings, final RequestId requestId, final Port port,
            final Promise<PneOutcome> outcome) {
        this.config = Objects.requireNonNull(settings, "settings");
        this.requestId = Objects.requireNonNull(requestId, "requestId");
        this.port = Objects.requireNonNull(port, "port");
        this.outcome = Objects.requireNonNull(outcome, "outcome");
    }

    /** The request ID of this session's Key Request. */
    @Override
    public RequestId requestId() {
        return requestId;
    }

    /** Whether the outcome is decided (later messages are ignored). */
    public boolean done() {
        return outcome.future().isComplete();
    }

    /**
     * Makes the first Key Request (a PNE with UI asks its user's ID first) and sends it; fails when no User ID
     * comes.
     */
    @Override
    public Future<KeyRequest> start() {
        return firstRequest().onSuccess(this::send);
    }

    /** Takes one message from the gateway: a status, a challenge or a Key Delivery for this request. */
    @Override
    public void onMessage(final CpnsMessage message) {
        if (done()) {
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

    /** Stops: cancels the timer, zeroes HA1 and the ephemeral key; an undecided outcome becomes 503 "stopped". */
    @Override
    public void close() {
        port.cancel();
        if (ha1 != null) {
            ha1.destroy();
        }
        forgetAnswers();
        outcome.tryComplete(new PneOutcome(config.entityId(), Status.UNAVAILABLE, "stopped", Optional.empty(),
                Optional.empty()));
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
        if (done()) {
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
        port.send(current);
        port.schedule(config.replyTimeout().toMillis(), this::resend);
    }

    private void onStatus(final StatusReport s) {
        if (s.requestId().isPresent() && !s.requestId().get().equals(requestId)) {
            return;
        }
        if (s.status() == Status.PENDING) {
            final int wait = s.retryAfter().orElse(2);
            LOG.info("PNE {}: {} ({}), asking again in {} s", config.entityId(), s.status(), s.reason(), wait);
            attempts = 0;
            port.schedule(wait * 1000L, this::resend);
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
        port.cancel();
        LOG.info("R1 PNE {} answers the server's digest challenge with its user's password", config.entityId());
        loginHa1(c.realm()).onSuccess(h -> {
            // v2: a fresh ephemeral key per answer, named by the digest-uri
            final Answer a = new Answer(c.nonce(), DigestClient.cnonce(), X25519.generate());
            remember(a);
            final UserId user = current.userId().orElseThrow();
            send(DigestClient.answer(current, user.value(), h, c.realm(), a.keys().publicKey(), a.nonce(),
                    DigestClient.nc(1), a.cnonce()));
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
                port.schedule(d.retryAfter().isPresent() ? d.retryAfter().getAsInt() * 1000L
                        : config.replyTimeout().toMillis(), this::resend);
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
        port.cancel();
        final String kcv = KeyCheckValue.of(euKey);
        port.store(euKey).onComplete(ar -> {
            euKey.destroy();
            if (ar.succeeded()) {
                LOG.info("F10 PNE {} stored EUKey {} (check value {}) in {}", config.entityId(), d.keyId().get(), kcv,
                        ar.result());
                outcome.tryComplete(new PneOutcome(config.entityId(), Status.OK, "EUKey stored", d.keyId(),
                        Optional.of(kcv)));
            } else {
                finish(Status.INTERNAL_ERROR, "EUKey could not be stored: " + ar.cause().getMessage());
            }
        });
    }

    private SecretBytes unwrap(final KeyDelivery d) throws GeneralSecurityException {
        final WrappedKey w = d.wrappedKey().orElseThrow();
        final Answer a = answers.get(w.cnonce());
        if (ha1 == null || a == null || !w.nonce().equals(a.nonce())) {
            throw new GeneralSecurityException("wrapped for an answer this PNE did not send");
        }
        final SecretBytes key;
        try (SecretBytes shared = a.keys().agree(w.epk())) {
            key = EuKeyWrap.unwrap(w, ha1, shared, new EuKeyWrap.Context(a.nonce(), a.cnonce(), config.entityId(),
                    d.userId().orElseThrow(), requestId, d.keyId().orElseThrow(), a.keys().publicKey(), w.epk()));
        } finally {
            forgetAnswers(); // forward secrecy: nothing here can open this delivery again
        }
        LOG.info("R18 PNE {} decrypted its EUKey {} itself", config.entityId(), d.keyId().get());
        return key;
    }

    private void remember(final Answer a) {
        answers.put(a.cnonce(), a);
        final Iterator<Answer> oldest = answers.values().iterator();
        while (answers.size() > MAX_CHALLENGES) {
            oldest.next().keys().close();
            oldest.remove();
        }
    }

    private void forgetAnswers() {
        answers.values().forEach(a -> a.keys().close());
        answers.clear();
    }

    private void finish(final int status, final String reason) {
        forgetAnswers();
        port.cancel();
        if (!done()) {
            LOG.info("PNE {}: no EUKey: {} {}", config.entityId(), status, reason);
        }
        outcome.tryComplete(new PneOutcome(config.entityId(), status, reason, Optional.empty(), Optional.empty()));
    }
}
