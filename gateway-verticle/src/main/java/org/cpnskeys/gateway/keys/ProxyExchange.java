package org.cpnskeys.gateway.keys;

import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.BiConsumer;

import io.vertx.core.Future;
import io.vertx.core.Promise;

import org.cpnskeys.gateway.GatewayHealth;
import org.cpnskeys.gateway.credentials.UserCredentials;
import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.StatusReport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's exchange with the server as proxy of a PNE without UI (F4-F8, R8): sends the request, answers
 * the server's digest challenges with the user's HA1 (a stale nonce is answered again with the new one, at most
 * {@link #MAX_CHALLENGE_ROUNDS} times), opens the wrapped EUKey and checks its tag. A lost answer is sent again up to
 * the configured attempts; an approved request outlives a cloud outage by waiting (202 to the PNE) for the
 * connection, up to the cloud queue time. Completes with the Key Delivery for the PNE (clear EUKey, or a refusal).
 */
final class ProxyExchange {
    private static final Logger LOG = LoggerFactory.getLogger(ProxyExchange.class);
    static final int MAX_CHALLENGE_ROUNDS = 3;

    private final KeyServiceSettings settings;
    private final ProxyDigest digest;
    private final CloudReplies cloud;
    private final CloudLink link;
    private final GatewayScheduler scheduler;
    private final BiConsumer<Session, String> pending;
    private GatewayHealth health = new GatewayHealth();

    /** {@code pending}: tells the PNE its request waits, and why. */
    ProxyExchange(final KeyServiceSettings settings, final ProxyDigest digest, final CloudReplies cloud,
            final CloudLink link, final GatewayScheduler scheduler, final BiConsumer<Session, String> pending) {
        this.settings = settings;
        this.digest = digest;
        this.cloud = cloud;
        this.link = link;
        this.scheduler = scheduler;
        this.pending = pending;
    }

    void observedBy(final GatewayHealth newHealth) {
        this.health = newHealth;
    }

    Future<KeyDelivery> run(final Session s, final UserCredentials creds) {
        return exchange(s, creds, 1, 0);
    }

    private Future<KeyDelivery> exchange(final Session s, final UserCredentials creds, final int attempt,
            final int rounds) {
        final KeyRequest base = s.request.withoutAuthorization().withUser(creds.userId()).withConsent(s.consent);
        final Optional<ProxyDigest.Answer> answer = digest.answer(base, creds);
        answer.ifPresent(a -> s.cnonces.put(a.cnonce(), a.keys()));
        final KeyRequest outgoing = answer.map(ProxyDigest.Answer::request).orElse(base);
        return cloud.send(outgoing, s.span).compose(
                reply -> onReply(s, creds, reply.message(), attempt, rounds),
                err -> attempt < settings.cloudAttempts() && Refusals.isUnavailable(err)
                        ? exchange(s, creds, attempt + 1, rounds)
                        : queueOrFail(s, creds, rounds, err));
    }

    /**
     * An approved request is not lost to a cloud outage: while the server stays unreachable the request waits
     * (the PNE is told 202) for the cloud connection to come back, up to the cloud queue time after it arrived;
     * then it is answered 503.
     */
    private Future<KeyDelivery> queueOrFail(final Session s, final UserCredentials creds, final int rounds,
            final Throwable err) {
        final long left = settings.cloudQueueTime().toNanos() - (scheduler.nanoTime() - s.started);
        if (!Refusals.isUnavailable(err) || left <= 0) {
            return Future.failedFuture(err);
        }
        LOG.info("CPNS Server unreachable: Key Request {} of PNE {} waits for the cloud", s.requestId(), s.entity());
        pending.accept(s, "CPNS Server unreachable: the request is queued");
        health.queuedForCloud(true);
        // Never try again at once: a failure while still connected (a lost answer, a refused publish) waits one
        // cloud timeout, an outage waits for the reconnection; either way the thread is not held.
        final Promise<Void> pause = Promise.promise();
        scheduler.schedule(settings.cloudTimeout(), pause::complete);
        return pause.future()
                .compose(v -> link.connected(Duration.ofNanos(Math.max(1, left - settings.cloudTimeout().toNanos()))))
                .onComplete(x -> health.queuedForCloud(false))
                .compose(v -> exchange(s, creds, 1, rounds), e -> Future.failedFuture(err));
    }

    private Future<KeyDelivery> onReply(final Session s, final UserCredentials creds, final CpnsMessage reply,
            final int attempt, final int rounds) {
        if (reply instanceof Challenge c) {
            digest.accept(c);
            if (rounds >= MAX_CHALLENGE_ROUNDS) {
                return Future.failedFuture(new ProtocolException(Status.UNAUTHORIZED, "the server keeps challenging"));
            }
            LOG.info("F5 digest challenge from the CPNS Server{}; answering for PNE {}", c.stale() ? " (stale nonce)" : "",
                    s.entity());
            return exchange(s, creds, attempt, rounds + 1);
        }
        if (reply instanceof KeyDelivery d) {
            return d.delivered() ? open(s, creds, d, attempt, rounds) : refused(s, d);
        }
        final StatusReport r = (StatusReport) reply;
        return Future.failedFuture(new ProtocolException(r.status(), r.reason()));
    }

    private static Future<KeyDelivery> refused(final Session s, final KeyDelivery d) {
        LOG.info("R13 Key Delivery without EUKey for PNE {}: {} {}", s.entity(), d.status(), d.reason().orElse(""));
        return Future.succeededFuture(d);
    }

    /** F8: the wrapped key must open with this request's key agreement and the user's HA1 (GCM tag verified). */
    private Future<KeyDelivery> open(final Session s, final UserCredentials creds, final KeyDelivery d,
            final int attempt, final int rounds) {
        try {
            final KeyDelivery clear = ProxyDigest.open(d, s.request, creds, s.cnonces);
            LOG.info("F8 EUKey {} for PNE {} decrypted (GCM tag verified)", d.keyId().get(), s.entity());
            return Future.succeededFuture(clear);
        } catch (GeneralSecurityException e) {
            LOG.warn("F8 Key Delivery for PNE {} rejected: the wrapped key failed verification", s.entity());
            return attempt < settings.cloudAttempts()
                    ? exchange(s, creds, attempt + 1, rounds)
                    : Future.failedFuture(new ProtocolException(Status.INTERNAL_ERROR,
                            "the Key Delivery from the server failed verification"));
        }
    }
}
