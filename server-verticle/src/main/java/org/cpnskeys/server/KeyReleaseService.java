package org.cpnskeys.server;

import java.util.Objects;
import java.util.Optional;

import io.vertx.core.Future;

import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.DigestAuthorization;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyRelease;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.StatusReport;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.server.auth.AttemptGate;
import org.cpnskeys.server.auth.DigestRealm;
import org.cpnskeys.server.auth.LockedOutException;
import org.cpnskeys.server.auth.NonceService;
import org.cpnskeys.server.store.EuKeyRepository;
import org.cpnskeys.server.store.ReleaseResult;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's decision for one owner's release ({@code key-release}, PROTOCOL.md 6.1a), free of MQTT: challenge
 * it, authenticate the user by digest with the method KEY-RELEASE, through the same {@link AttemptGate} and store
 * ledger as Key Requests (single use, failures), and release the entity's key if it is the user's, in the store's
 * transaction under the entity's lock (durable before the answer). Every final answer is a {@link StatusReport}
 * and is audited as {@code owner-released} or {@code owner-release-refused}, with the user and the gateway.
 */
public final class KeyReleaseService {
    private static final Logger LOG = LoggerFactory.getLogger(KeyReleaseService.class);

    private final String realm;
    private final NonceService nonces;
    private final DigestRealm users;
    private final EuKeyRepository store;
    private final AttemptGate attempts;
    private final AuditLog audit;

    /** @param attempts the gate the Key Requests of this server go through (one gate: one count of attempts) */
    public KeyReleaseService(final String realm, final NonceService nonces, final DigestRealm users,
            final EuKeyRepository store, final AttemptGate attempts, final AuditLog audit) {
        this.realm = Objects.requireNonNull(realm, "realm");
        this.nonces = Objects.requireNonNull(nonces, "nonces");
        this.users = Objects.requireNonNull(users, "users");
        this.store = Objects.requireNonNull(store, "store");
        this.attempts = Objects.requireNonNull(attempts, "attempts");
        this.audit = Objects.requireNonNull(audit, "audit");
    }

    /** Answers a release from the given gateway with a {@link Challenge} or a final {@link StatusReport}. */
    public Future<CpnsMessage> handle(final GatewayId gateway, final KeyRelease release) {
        return decide(gateway, release).onSuccess(reply -> {
            if (reply instanceof StatusReport s) {
                audit.record(s.status() == Status.OK ? "owner-released" : "owner-release-refused", gateway.value(),
                        release.entityId().value(), release.authorization().map(DigestAuthorization::username)
                                .orElse(release.userId().map(UserId::value).orElse(null)),
                        release.proxy(), s.status(), s.reason(), null);
            }
        });
    }

    private Future<CpnsMessage> decide(final GatewayId gateway, final KeyRelease release) {
        if (release.authorization().isEmpty()) {
            return Future.succeededFuture(challenge(gateway, release, false));
        }
        final DigestAuthorization auth = release.authorization().get();
        final NonceService.Check check = nonces.check(auth.nonce(), gateway);
        if (check != NonceService.Check.VALID) {
            return Future.succeededFuture(challenge(gateway, release, check == NonceService.Check.STALE));
        }
        if (!realm.equals(auth.realm()) || !DigestClient.uri(release).equals(auth.uri())) {
            return Future.succeededFuture(status(release, Status.UNAUTHORIZED, "authentication failed"));
        }
        final UserId user = auth.userId();
        return attempts.reserve(user, gateway)
                .compose(attempt -> attempt.judge(users.verify(auth, DigestClient.RELEASE_METHOD))
                        .compose(ha1 -> {
                            ha1.destroy();
                            return store.releaseByOwner(release.entityId(), user, gateway,
                                    KeyAssignmentService.digestUse(auth), attempt.admission());
                        }))
                .map(result -> answer(gateway, release, user, result))
                .recover(e -> Future.succeededFuture(refusal(release, e)));
    }

    private CpnsMessage answer(final GatewayId gateway, final KeyRelease release, final UserId user,
            final ReleaseResult result) {
        if (result instanceof ReleaseResult.Released r) {
            LOG.info("EUKey {} released by its owner: entity={} user={} gateway={} authenticated={}", r.key().keyId(),
                    release.entityId(), user, gateway, release.proxy() ? "PN GW (proxy)" : "PNE");
            return status(release, Status.OK, "released");
        }
        if (result instanceof ReleaseResult.NotOwner) {
            LOG.info("release refused: entity={} user={} gateway={}: owned by another user", release.entityId(), user,
                    gateway);
            return status(release, Status.CONFLICT, "entity is assigned to another user");
        }
        if (result instanceof ReleaseResult.NoKey) {
            return status(release, Status.NOT_FOUND, "no key to release for this entity");
        }
        if (result instanceof ReleaseResult.Replayed) {
            LOG.info("release refused: entity={} request={}: nonce count already used", release.entityId(),
                    release.requestId());
            return status(release, Status.UNAUTHORIZED, "nonce count already used");
        }
        final ReleaseResult.Refused refused = (ReleaseResult.Refused) result;
        return refusal(release, AttemptGate.lockedOut(user, gateway, refused.retryAfter()));
    }

    private Challenge challenge(final GatewayId gateway, final KeyRelease release, final boolean stale) {
        return new Challenge(release.requestId(), release.entityId(), realm, nonces.issue(gateway), stale);
    }

    private static StatusReport status(final KeyRelease release, final int status, final String reason) {
        return StatusReport.of(Optional.of(release.requestId()), Optional.of(release.entityId()), status, reason);
    }

    /** Maps any failure to a final status; anything unexpected is a 500, never a release. */
    private static StatusReport refusal(final KeyRelease release, final Throwable e) {
        if (e instanceof LockedOutException l) {
            LOG.warn("release refused: entity={} request={}: {}", release.entityId(), release.requestId(), l.reason());
            return new StatusReport(Optional.of(release.requestId()), Optional.of(release.entityId()),
                    Status.TOO_MANY_REQUESTS, l.reason(), java.util.OptionalInt.of(l.retryAfterSeconds()));
        }
        if (e instanceof ProtocolException p) {
            return status(release, p.status(), p.reason());
        }
        LOG.error("Key Release {} for {} failed", release.requestId(), release.entityId(), e);
        return status(release, Status.INTERNAL_ERROR, "internal error");
    }
}
