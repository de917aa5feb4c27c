package org.cpnskeys.pne;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

import io.vertx.core.Future;
import io.vertx.core.Promise;

import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.KeyRelease;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.StatusReport;
import org.cpnskeys.protocol.crypto.DigestClient;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PNE with UI's release of its own EUKey (PROTOCOL.md 2.3, 6.3): sends {@code key-release} with its user's ID,
 * answers the server's challenge with the user's password (method KEY-RELEASE, nonce count 1, a fresh cnonce),
 * sends it again (same request ID) when no answer comes, waits while the user approves on the gateway
 * ({@code 202}), and on the final {@code status} 200 (or 404: the server holds no key for it) deletes its stored
 * EUKey before it reports success. Not thread-safe: drive it from one context.
 */
final class PneReleaseSession implements PneExchange {
    private static final Logger LOG = LoggerFactory.getLogger(PneReleaseSession.class);
    private static final int MAX_CHALLENGES = 3;

    /** What the release needs from around it. */
    interface Port {
        void send(KeyRelease release);

        void schedule(long delayMs, Runnable action);

        void cancel();

        /** Deletes the stored EUKey, off the event loop; completes with where it was. */
        Future<String> forget();
    }

    private final PneSession.Settings config;
    private final RequestId requestId;
    private final Port port;
    private final Promise<PneOutcome> outcome;
    private KeyRelease current;
    private int attempts;
    private int challenges;

    PneReleaseSession(final PneSession.Settings settings, final RequestId requestId, final Port port,
            final Promise<PneOutcome> outcome) {
        this.config = Objects.requireNonNull(settings, "settings");
        this.requestId = Objects.requireNonNull(requestId, "requestId");
        this.port = Objects.requireNonNull(port, "port");
        this.outcome = Objects.requireNonNull(outcome, "outcome");
        if (settings.proxy()) {
            throw new IllegalArgumentException("only a PNE with UI releases itself; a PNE without UI is released by"
                    + " its user on the gateway");
        }
    }

    @Override
    public RequestId requestId() {
        return requestId;
    }

    @Override
    public Future<?> start() {
        return config.login().get().userId().onSuccess(user -> {
            current = KeyRelease.of(requestId, config.entityId(), false, user);
            attempts = 0;
            resend();
        });
    }

    @Override
    public void onMessage(final CpnsMessage message) {
        if (outcome.future().isComplete()) {
            return;
        }
        if (message instanceof StatusReport s && s.requestId().map(requestId::equals).orElse(true)) {
            onStatus(s);
        } else if (message instanceof Challenge c && c.requestId().equals(requestId)) {
            onChallenge(c);
        }
    }

    @Override
    public void close() {
        port.cancel();
        outcome.tryComplete(new PneOutcome(config.entityId(), Status.UNAVAILABLE, "stopped", Optional.empty(),
                Optional.empty()));
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
        LOG.info("PNE {} sends Key Release {}{}", config.entityId(), requestId,
                attempts > 1 ? " again, attempt " + attempts : "");
        port.send(current);
        port.schedule(config.replyTimeout().toMillis(), this::resend);
    }

    private void onStatus(final StatusReport s) {
        if (s.status() == Status.PENDING) {
            attempts = 0;
            port.schedule(s.retryAfter().orElse(2) * 1000L, this::resend);
            return;
        }
        if (s.status() != Status.OK && s.status() != Status.NOT_FOUND) {
            finish(s.status(), s.reason());
            return;
        }
        port.cancel();
        port.forget().onComplete(ar -> {
            if (ar.failed()) {
                finish(Status.INTERNAL_ERROR, "released, but the stored EUKey could not be deleted: "
                        + ar.cause().getMessage());
                return;
            }
            LOG.info("PNE {} released: {} ({}); its EUKey is deleted from {}", config.entityId(), s.status(),
                    s.reason(), ar.result());
            outcome.tryComplete(new PneOutcome(config.entityId(), Status.OK, "released; EUKey deleted",
                    Optional.empty(), Optional.empty()));
        });
    }

    private void onChallenge(final Challenge c) {
        if (config.realm().isPresent() && !config.realm().get().equals(c.realm())) {
            finish(Status.UNAUTHORIZED, "challenge for another realm (" + c.realm() + ") refused");
            return;
        }
        if (++challenges > MAX_CHALLENGES) {
            finish(Status.UNAUTHORIZED, "too many challenges");
            return;
        }
        port.cancel();
        final String user = current.userId().orElseThrow().value();
        config.login().get().password(c.realm()).onSuccess(pw -> {
            try (org.cpnskeys.protocol.crypto.Ha1 ha1 = DigestClient.ha1(user, c.realm(), pw)) {
                current = DigestClient.answer(current.withoutAuthorization(), user, ha1, c.realm(), c.nonce(),
                        DigestClient.nc(1), DigestClient.cnonce());
            } finally {
                Arrays.fill(pw, '\0');
            }
            attempts = 0;
            resend();
        }).onFailure(e -> finish(Status.UNAUTHORIZED, "no password: " + e.getMessage()));
    }

    private void finish(final int status, final String reason) {
        port.cancel();
        if (!outcome.future().isComplete()) {
            LOG.info("PNE {}: not released: {} {}", config.entityId(), status, reason);
        }
        outcome.tryComplete(new PneOutcome(config.entityId(), status, reason, Optional.empty(), Optional.empty()));
    }
}
