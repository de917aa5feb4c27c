package org.cpnskeys.gateway.keys;

import java.util.Optional;
import java.util.UUID;

import io.vertx.core.Future;

import org.cpnskeys.gateway.credentials.UserCredentials;
import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyRelease;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.StatusReport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's exchange with the server for a release its user asked for (PROTOCOL.md 2.3): sends the
 * {@code key-release} with the user's ID, answers the server's digest challenges with the user's HA1 and the
 * shared nonce's next count (method KEY-RELEASE; at most {@link ProxyExchange#MAX_CHALLENGE_ROUNDS} rounds), and
 * completes with the server's final {@code status}. A lost answer is sent again up to the configured attempts; an
 * unreachable server fails the release with 503 (the user is there to try again).
 */
final class ReleaseExchange {
    private static final Logger LOG = LoggerFactory.getLogger(ReleaseExchange.class);

    private final KeyServiceSettings settings;
    private final SharedState shared;
    private final ProxyDigest digest;
    private final CloudReplies cloud;
    private final UserSide user;

    ReleaseExchange(final KeyServiceSettings settings, final SharedState shared, final CloudReplies cloud,
            final UserSide user) {
        this.settings = settings;
        this.shared = shared;
        this.digest = shared.digest;
        this.cloud = cloud;
        this.user = user;
    }

    /**
     * Releases {@code entity} for the configured user; on 200 (or 404: the server holds no key for it) forgets
     * what the gateway kept of the device's key. Completes with the final status, never fails. Service thread.
     */
    Future<StatusReport> release(final EntityId entity) {
        final RequestId requestId = RequestId.of(UUID.randomUUID().toString());
        final Optional<UserCredentials> creds = user.credentials().get();
        final Future<StatusReport> answer = creds.isEmpty()
                ? Future.failedFuture(new ProtocolException(Status.FORBIDDEN, "no User ID and password configured"
                        + " on the gateway"))
                : run(KeyRelease.of(requestId, entity, true, creds.get().userId()), creds.get());
        return answer.recover(e -> Future.succeededFuture(StatusReport.of(Optional.of(requestId),
                Optional.of(entity), e instanceof ProtocolException p ? p.status() : Status.INTERNAL_ERROR,
                e instanceof ProtocolException p ? p.reason() : "internal error"))).onSuccess(s -> {
                    LOG.info("release of PNE {} for user {}: {} {}", entity,
                            creds.map(c -> c.userId().value()).orElse("?"), s.status(), s.reason());
                    if (s.status() == Status.OK || s.status() == Status.NOT_FOUND) {
                        forgetKeyOf(entity);
                    }
                    try {
                        user.outcomes().finished(entity, requestId, s.status(),
                                s.status() == Status.OK ? "released by the user" : s.reason());
                    } catch (RuntimeException e) {
                        LOG.warn("outcome listener failed: {}", e.toString());
                    }
                });
    }

    /** Forgets the finished Key Requests of {@code entity} kept for retries (a proxied one's answer holds its EUKey). */
    private void forgetKeyOf(final EntityId entity) {
        for (final Session s : shared.sessions.values()) {
            if (s.entity().equals(entity)) {
                s.owner.forgetFinished(s);
            }
        }
    }

    Future<StatusReport> run(final KeyRelease release, final UserCredentials creds) {
        return exchange(release.withoutAuthorization(), creds, 1, 0);
    }

    private Future<StatusReport> exchange(final KeyRelease base, final UserCredentials creds, final int attempt,
            final int rounds) {
        final KeyRelease outgoing = digest.answer(base, creds).orElse(base);
        return cloud.send(outgoing).compose(reply -> onReply(base, creds, reply.message(), attempt, rounds),
                err -> attempt < settings.cloudAttempts() && Refusals.isUnavailable(err)
                        ? exchange(base, creds, attempt + 1, rounds) : Future.failedFuture(err));
    }

    private Future<StatusReport> onReply(final KeyRelease base, final UserCredentials creds, final CpnsMessage reply,
            final int attempt, final int rounds) {
        if (reply instanceof Challenge c) {
            digest.accept(c);
            if (rounds >= ProxyExchange.MAX_CHALLENGE_ROUNDS) {
                return Future.failedFuture(new ProtocolException(Status.UNAUTHORIZED, "the server keeps challenging"));
            }
            LOG.info("digest challenge from the CPNS Server{}; answering the release of PNE {}",
                    c.stale() ? " (stale nonce)" : "", base.entityId());
            return exchange(base, creds, attempt, rounds + 1);
        }
        if (reply instanceof StatusReport s) {
            return Future.succeededFuture(s);
        }
        return Future.failedFuture(new ProtocolException(Status.INTERNAL_ERROR,
                "the server answered a release with a " + reply.type()));
    }
}
