package org.cpnskeys.gateway.keys;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;

import org.cpnskeys.gateway.approval.ApprovalDecision;
import org.cpnskeys.gateway.approval.ApprovalRequest;
import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyRelease;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.StatusReport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PNE with UI's own {@code key-release} (PROTOCOL.md 2.3): with the user's approval, relayed to the server as its
 * Key Requests are; the server's challenge and final {@code status} forwarded to the PNE byte for byte. The gateway
 * never answers the digest here (the PNE does, with its user's password). A {@code key-release} with
 * {@code proxy:true} from the PAN is refused 403: a device without UI is released by its user on the gateway.
 * Idempotent on (Entity ID, request ID): a retry gets 202 while the release is under way, the challenge while the
 * PNE owes its answer, and the same final answer for {@link FinishedSessions#RETENTION}.
 */
final class PanReleaseRelay {
    private static final Logger LOG = LoggerFactory.getLogger(PanReleaseRelay.class);

    /** One PNE's release at the gateway. Touched on the relay's thread only. */
    private static final class Relayed {
        final KeyRelease release;
        Buffer challenge;
        boolean awaitingPne;
        Buffer finalReply;
        long forgetAtNanos = Long.MAX_VALUE;

        Relayed(final KeyRelease release) {
            this.release = release;
        }
    }

    private final Map<String, Relayed> releases = new ConcurrentHashMap<>();
    private final KeyServiceSettings settings;
    private final UserSide user;
    private final CloudReplies cloud;
    private final PanLink pan;
    private final GatewayScheduler scheduler;
    private final MessageCodec codec;

    PanReleaseRelay(final KeyServiceSettings settings, final UserSide user, final CloudReplies cloud,
            final PanLink pan, final GatewayScheduler scheduler, final MessageCodec codec) {
        this.settings = settings;
        this.user = user;
        this.cloud = cloud;
        this.pan = pan;
        this.scheduler = scheduler;
        this.codec = codec;
    }

    /** A {@code key-release} from the PAN, its Entity ID already checked against the topic's. Service thread. */
    void onRelease(final KeyRelease release) {
        final String key = Session.key(release.entityId(), release.requestId());
        final Relayed known = releases.get(key);
        if (known != null) {
            repeat(known, release);
            return;
        }
        final Relayed r = new Relayed(release);
        releases.put(key, r);
        if (release.proxy()) {
            finish(r, Status.FORBIDDEN, "a PNE without UI is released by its user on the gateway");
            return;
        }
        if (release.userId().isEmpty()) {
            finish(r, Status.BAD_REQUEST, "userId is required in a key-release from a PNE");
            return;
        }
        LOG.info("Key Release {} from PNE {} (with UI, user {})", release.requestId(), release.entityId(),
                release.userId().get());
        approved(r).compose(v -> cloud.send(release.withoutAuthorization()))
                .onSuccess(reply -> relayed(r, reply)).onFailure(e -> fail(r, e));
    }

    private void repeat(final Relayed r, final KeyRelease release) {
        if (r.finalReply != null) {
            pan.status(r.release.entityId(), r.finalReply);
        } else if (r.awaitingPne && release.authorization().isPresent()) {
            r.awaitingPne = false;
            LOG.info("forwarding the release answer of PNE {} to the CPNS Server", release.entityId());
            cloud.send(release).onSuccess(reply -> relayed(r, reply)).onFailure(e -> fail(r, e));
        } else if (r.awaitingPne && r.challenge != null) {
            pan.challenge(r.release.entityId(), r.challenge);
        } else {
            pan.status(r.release.entityId(), codec.encode(StatusReport.pending(r.release.requestId(),
                    r.release.entityId(), "release in progress", settings.retryAfterSeconds())));
        }
    }

    private Future<Void> approved(final Relayed r) {
        final EntityId entity = r.release.entityId();
        return user.devices().checkAdmitted(entity).compose(v -> {
            final ApprovalRequest ask = new ApprovalRequest(r.release.requestId(), entity, false,
                    Optional.of("asks to be released from its owner (remove this device)"),
                    user.devices().fingerprint(entity).orElse("unknown"),
                    scheduler.now().plus(settings.approvalTimeout()));
            final Future<ApprovalDecision> decided = user.approval().decide(ask);
            if (!decided.isComplete()) {
                pan.status(entity, codec.encode(StatusReport.pending(r.release.requestId(), entity,
                        "awaiting the user's approval", settings.retryAfterSeconds())));
            }
            return here(decided).compose(d -> d == ApprovalDecision.APPROVED ? Future.<Void>succeededFuture()
                    : Future.failedFuture(new ProtocolException(Status.FORBIDDEN,
                            d == ApprovalDecision.DENIED ? "denied by the user" : "not approved in time")));
        });
    }

    private <T> Future<T> here(final Future<T> f) {
        if (f.isComplete()) {
            return f;
        }
        final io.vertx.core.Promise<T> p = io.vertx.core.Promise.promise();
        f.onComplete(ar -> scheduler.execute(() -> p.handle(ar)));
        return p.future();
    }

    private void relayed(final Relayed r, final CloudReplies.CloudReply reply) {
        if (reply.message() instanceof Challenge) {
            r.awaitingPne = true;
            r.challenge = reply.raw();
            pan.challenge(r.release.entityId(), reply.raw());
        } else if (reply.message() instanceof StatusReport s) {
            LOG.info("forwarding the server's answer to the release of PNE {} (status {}) untouched",
                    r.release.entityId(), s.status());
            finishRaw(r, s.status(), s.reason(), reply.raw());
        } else {
            fail(r, new ProtocolException(Status.INTERNAL_ERROR, "the server answered a release with a "
                    + reply.message().type()));
        }
    }

    private void fail(final Relayed r, final Throwable e) {
        if (e instanceof ProtocolException p) {
            finish(r, p.status() == Status.PENDING ? Status.INTERNAL_ERROR : p.status(), p.reason());
        } else {
            LOG.error("Key Release {} of PNE {} failed", r.release.requestId(), r.release.entityId(), e);
            finish(r, Status.INTERNAL_ERROR, "internal error");
        }
    }

    private void finish(final Relayed r, final int status, final String reason) {
        final Buffer payload = codec.encode(StatusReport.of(Optional.of(r.release.requestId()),
                Optional.of(r.release.entityId()), status, reason));
        if (status == Status.UNAVAILABLE) {
            // not final: the PNE's retry starts over
            releases.remove(Session.key(r.release.entityId(), r.release.requestId()), r);
            pan.status(r.release.entityId(), payload);
            return;
        }
        finishRaw(r, status, reason, payload);
    }

    private void finishRaw(final Relayed r, final int status, final String reason, final Buffer payload) {
        r.finalReply = payload;
        r.challenge = null;
        r.awaitingPne = false;
        r.forgetAtNanos = scheduler.nanoTime() + FinishedSessions.RETENTION.toNanos();
        try {
            user.outcomes().finished(r.release.entityId(), r.release.requestId(), status,
                    status == Status.OK ? "released by the PNE's user" : reason);
        } catch (RuntimeException e) {
            LOG.warn("outcome listener failed: {}", e.toString());
        }
        pan.status(r.release.entityId(), payload);
    }

    /** Forgets finished releases past their retention. */
    void sweep() {
        final long now = scheduler.nanoTime();
        releases.values().removeIf(r -> r.finalReply != null && now - r.forgetAtNanos >= 0);
    }
}
