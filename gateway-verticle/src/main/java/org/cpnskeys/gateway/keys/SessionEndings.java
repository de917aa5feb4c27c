package org.cpnskeys.gateway.keys;

import io.vertx.core.buffer.Buffer;

import org.cpnskeys.gateway.GatewayMetrics;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.crypto.SecretBytes;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a {@link GatewayKeyService}'s Key Request ends: the final answer to the PNE over the PAN (kept for its retries,
 * or forgotten when it is not final), the journal told the request is done, and the outcome reported to the span and
 * the user's page. Every failure is mapped once, in {@link #fail}, to the Key Delivery the PNE gets (or to nothing,
 * for a drop). Runs on the service's thread.
 */
final class SessionEndings {
    private static final Logger LOG = LoggerFactory.getLogger(SessionEndings.class);

    private final SharedState shared;
    private final UserSide user;
    private final PanLink pan;
    private final GatewayScheduler scheduler;
    private final MessageCodec codec;
    private final FinishedSessions finished;
    private GatewayMetrics metrics = GatewayMetrics.NOOP;

    SessionEndings(final SharedState shared, final UserSide user, final PanLink pan, final GatewayScheduler scheduler,
            final MessageCodec codec, final FinishedSessions finished) {
        this.shared = shared;
        this.user = user;
        this.pan = pan;
        this.scheduler = scheduler;
        this.codec = codec;
        this.finished = finished;
    }

    void observedBy(final GatewayMetrics newMetrics) {
        this.metrics = newMetrics;
    }

    void finish(final Session s, final KeyDelivery delivery) {
        metrics.keyRequest(delivery.delivered() ? "delivered" : "refused", delivery.status());
        tell(s, delivery);
        final Buffer payload = codec.encode(delivery, s.span.traceparent());
        delivery.euKey().ifPresent(SecretBytes::destroy);
        if (delivery.delivered()) {
            LOG.info("F9 forwarding EUKey {} to PNE {} over the PAN", delivery.keyId().get(), s.entity());
        }
        if (delivery.status() == Status.UNAVAILABLE || delivery.status() == Status.TOO_MANY_REQUESTS) {
            // Not final: the server was unreachable, or the request was throttled. Forget it so that the PNE's
            // retry (same request ID) starts it again instead of getting this answer back.
            shared.sessions.remove(s.key(), s);
            done(s);
            pan.keyDelivery(s.entity(), payload);
            return;
        }
        finishRaw(s, payload);
    }

    void finishRaw(final Session s, final Buffer payload) {
        s.finalReply = payload;
        s.challenge = null;
        s.awaitingPne = false;
        done(s);
        pan.keyDelivery(s.entity(), payload);
        finished.add(s, scheduler.nanoTime());
    }

    /** The one mapping of a failure to what the PNE gets: a refusal with the failure's status, or nothing (drop). */
    void fail(final Session s, final Throwable e) {
        if (e instanceof Refusals.Dropped) {
            LOG.info("R6 Key Request {} of PNE {} dropped: {}", s.requestId(), s.entity(), e.getMessage());
            shared.sessions.remove(s.key(), s);
            done(s);
            report(s, 0, e.getMessage());
            return;
        }
        final int status;
        final String reason;
        if (e instanceof ProtocolException p) {
            status = p.status() == Status.PENDING ? Status.INTERNAL_ERROR : p.status();
            reason = p.reason();
        } else {
            LOG.error("Key Request {} of PNE {} failed", s.requestId(), s.entity(), e);
            status = Status.INTERNAL_ERROR;
            reason = "internal error";
        }
        finish(s, e instanceof Refusals.Throttled t
                ? KeyDelivery.refused(s.requestId(), s.entity(), status, reason, t.retryAfter)
                : KeyDelivery.refused(s.requestId(), s.entity(), status, reason));
    }

    /** The request got its final answer: the journal no longer needs to resume it. */
    private void done(final Session s) {
        if (s.journaled) {
            s.journaled = false;
            shared.journal.ifPresent(j -> j.finished(s.entity(), s.requestId()));
        }
    }

    void tell(final Session s, final KeyDelivery d) {
        report(s, d.status(), d.delivered() ? "EUKey delivered to the PNE" : d.reason().orElse(""));
    }

    private void report(final Session s, final int status, final String reason) {
        s.span.outcome(status == 0 ? "dropped" : status == Status.OK ? "delivered" : "refused", status).end();
        try {
            user.outcomes().finished(s.entity(), s.requestId(), status, reason);
        } catch (RuntimeException e) {
            LOG.warn("outcome listener failed: {}", e.toString());
        }
    }
}
