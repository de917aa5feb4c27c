package org.cpnskeys.server;

import java.nio.charset.StandardCharsets;
import java.security.DrbgParameters;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;

import io.vertx.core.Future;

import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.ConsentReceipt;
import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.DigestAuthorization;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.EuKeyWrap;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.trace.HopSpan;
import org.cpnskeys.protocol.trace.Tracing;
import org.cpnskeys.server.auth.AttemptGate;
import org.cpnskeys.server.auth.DigestRealm;
import org.cpnskeys.server.auth.LockedOutException;
import org.cpnskeys.server.auth.NonceService;
import org.cpnskeys.server.seal.KeyBinding;
import org.cpnskeys.server.seal.StoredKeySealer;
import org.cpnskeys.server.store.Admission;
import org.cpnskeys.server.store.AssignResult;
import org.cpnskeys.server.store.DigestUse;
import org.cpnskeys.server.store.EuKeyRepository;
import org.cpnskeys.server.store.KeyIds;
import org.cpnskeys.server.store.KeyState;
import org.cpnskeys.server.store.StoredKey;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's decision for one Key Request, free of MQTT: challenge it, authenticate it (the PN GW when it
 * acts as proxy, the PNE otherwise, both by digest with the owner's credentials: R9-R11), create and durably
 * store the EUKey with Entity ID and User ID (R12), and answer with the wrapped key (R14, R15) or a Key
 * Delivery without key (R13). Thread-safe: one instance serves every verticle instance.
 */
public final class KeyAssignmentService {
    private static final Logger LOG = LoggerFactory.getLogger(KeyAssignmentService.class);
    private static final HopSpan NO_SPAN = Tracing.OFF.start("none", java.util.Optional.empty(), HopSpan.Kind.SERVER);
    private static final ThreadLocal<SecureRandom> DRBG = ThreadLocal.withInitial(KeyAssignmentService::newDrbg);

    private final String realm;
    private final NonceService nonces;
    private final DigestRealm users;
    private final EuKeyRepository store;
    private final StoredKeySealer sealer;
    private final Duration nonceLifetime;
    private final Clock clock;
    private final AttemptGate attempts;
    private final AuditLog audit;
    private final KeyAgreementCache agreements;
    private volatile ServerMetrics metrics = ServerMetrics.NOOP;
    private volatile RequestRateLimiter rate;
    private final ConsentGate consent;

    private final java.util.concurrent.atomic.AtomicLong handled = new java.util.concurrent.atomic.AtomicLong();

    public KeyAssignmentService(final String realm, final NonceService nonces, final DigestRealm users,
            final EuKeyRepository store, final StoredKeySealer sealer, final Duration nonceLifetime, final Clock clock,
            final AttemptGate attempts, final AuditLog audit, final KeyAgreementCache agreements) {
        this.realm = realm;
        this.nonces = nonces;
        this.users = users;
        this.store = store;
        this.sealer = sealer;
        this.nonceLifetime = nonceLifetime;
        this.clock = clock;
        this.attempts = attempts;
        this.audit = audit;
        this.agreements = agreements;
        this.consent = new ConsentGate(audit);
    }

    /**
     * Answers a Key Request from the given gateway with a {@link Challenge} or a {@link KeyDelivery}; every
     * Key Delivery (assignment or refusal) is recorded in the audit log.
     */
    public Future<CpnsMessage> handle(final GatewayId gateway, final KeyRequest request) {
        return handle(gateway, request, NO_SPAN);
    }

    /**
     * {@link #handle(GatewayId, KeyRequest)} as a step of {@code span} (the Key Request's span at the server): the
     * authentication, the store and the wrapping are spans under it, and it gets the outcome and status code.
     */
    public Future<CpnsMessage> handle(final GatewayId gateway, final KeyRequest request, final HopSpan span) {
        handled.incrementAndGet();
        final long start = System.nanoTime();
        return answer(gateway, request, span).onSuccess(reply -> {
            final long nanos = System.nanoTime() - start;
            if (reply instanceof KeyDelivery d) {
                metrics.keyRequest(d.delivered() ? "delivered" : "refused", d.status(), nanos);
                span.outcome(d.delivered() ? "delivered" : "refused", d.status());
            } else {
                metrics.keyRequest("challenged", Status.UNAUTHORIZED, nanos);
                span.outcome("challenged", Status.UNAUTHORIZED);
            }
            if (reply instanceof KeyDelivery d) {
                audit.record(d.delivered() ? "delivered" : "refused", gateway.value(), request.entityId().value(),
                        request.authorization().map(DigestAuthorization::username)
                                .orElse(request.userId().map(UserId::value).orElse(null)),
                        request.proxy(), d.status(), d.reason().orElse(null), d.keyId().map(KeyId::value).orElse(null));
            }
        });
    }

    /** Limits each gateway's Key Requests per second from now on (429 with retryAfter beyond it). */
    public void setRateLimiter(final RequestRateLimiter limiter) {
        this.rate = java.util.Objects.requireNonNull(limiter);
    }

    /**
     * Checks consent receipts against these keys from now on ([L] 3), each Ed25519 verification on a worker of
     * {@code workers} ({@link ConsentGate}).
     */
    public void setConsentKeys(final ConsentKeys keys, final io.vertx.core.Vertx workers) {
        consent.use(keys, workers);
    }

    /** Reports to the given metrics from now on. */
    public void setMetrics(final ServerMetrics metrics) {
        this.metrics = java.util.Objects.requireNonNull(metrics);
    }

    private Future<CpnsMessage> answer(final GatewayId gateway, final KeyRequest request, final HopSpan span) {
        final RequestRateLimiter limiter = rate;
        if (limiter == null || limiter.perSecond() == RequestRateLimiter.UNLIMITED) {
            return decide(gateway, request, span);
        }
        return limiter.acquire(gateway.value()).compose(over -> {
            if (over.isEmpty()) {
                return decide(gateway, request, span);
            }
            LOG.debug("refused: entity={} request={}: gateway {} is over its rate limit", request.entityId(),
                    request.requestId(), gateway);
            return Future.succeededFuture(KeyDelivery.refused(request.requestId(), request.entityId(),
                    Status.TOO_MANY_REQUESTS, "request rate limit of " + limiter.perSecond()
                            + " Key Requests per second exceeded for gateway " + gateway, over.get()));
        }, e -> Future.succeededFuture(refusal(request, e)));
    }

    private Future<CpnsMessage> decide(final GatewayId gateway, final KeyRequest request, final HopSpan span) {
        if (request.authorization().isEmpty()) {
            return Future.succeededFuture(challenge(gateway, request, false));
        }
        final DigestAuthorization auth = request.authorization().get();
        final NonceService.Check check = nonces.check(auth.nonce(), gateway);
        if (check == NonceService.Check.INVALID) {
            return Future.succeededFuture(challenge(gateway, request, false));
        }
        if (check == NonceService.Check.STALE) {
            return Future.succeededFuture(challenge(gateway, request, true));
        }
        // v2: the digest-uri names this request's ID and ephemeral key, so an answer cannot be re-attached
        if (!realm.equals(auth.realm()) || !DigestClient.uri(request).equals(auth.uri())) {
            return Future.succeededFuture(refuse(request, Status.UNAUTHORIZED, "authentication failed"));
        }
        return consent.verified(gateway, request, auth).compose(receipt -> {
            // reserved before judged; single use and the failures are decided in the store with the key (AttemptGate)
            final HopSpan authentication = span.child("server.authentication", HopSpan.Kind.INTERNAL);
            return attempts.reserve(auth.userId(), gateway)
                    .compose(attempt -> attempt.judge(users.verify(auth, DigestClient.METHOD))
                            .onComplete(x -> authentication.outcome(x.succeeded() ? "authenticated" : "refused",
                                    x.succeeded() ? Status.OK : Status.UNAUTHORIZED).end())
                            .compose(ha1 -> assign(gateway, request, auth, ha1, attempt.admission(), receipt, span)
                                    .onComplete(x -> ha1.destroy())))
                    .onComplete(x -> authentication.end());
        }).recover(e -> Future.succeededFuture(refusal(request, e)));
    }

    /** How many Key Requests this server took up so far (with or without authorization). */
    public long handledRequests() {
        return handled.get();
    }

    /** The (nonce, nc) pair of an answer whose nonce passed {@link NonceService#check}: by the nonce's bytes. */
    static DigestUse digestUse(final DigestAuthorization auth) {
        return new DigestUse(NonceService.bytes(auth.nonce()).orElseThrow(), Long.parseUnsignedLong(auth.nc(), 16),
                NonceService.expiry(auth.nonce()).orElseThrow());
    }

    /** The X25519 agreement with the request's ephemeral key (checked before any key is created). */
    private Future<KeyAgreementCache.Agreement> agreement(final KeyRequest request) {
        return agreements.agree(request.epk().orElseThrow()).recover(e -> Future.failedFuture(
                ProtocolException.badRequest("epk is not a usable X25519 public key (low-order point)")));
    }

    private Future<CpnsMessage> assign(final GatewayId gateway, final KeyRequest request,
            final DigestAuthorization auth, final Ha1 ha1, final Admission admission,
            final java.util.Optional<ConsentReceipt> receipt, final HopSpan span) {
        return agreement(request).compose(agreement -> assign(gateway, request, auth, ha1, admission, agreement, receipt,
                span)
                .onComplete(x -> agreement.shared().destroy()));
    }

    private Future<CpnsMessage> assign(final GatewayId gateway, final KeyRequest request,
            final DigestAuthorization auth, final Ha1 ha1, final Admission admission,
            final KeyAgreementCache.Agreement agreement, final java.util.Optional<ConsentReceipt> receipt,
            final HopSpan span) {
        final HopSpan storing = span.child("server.store", HopSpan.Kind.INTERNAL);
        final UserId user = auth.userId();
        final KeyId keyId = KeyIds.next(clock.millis(), DRBG.get());
        final SecretBytes euKey = SecretBytes.adopt(randomBytes(EuKeyWrap.EUKEY_BYTES));
        // off the event loop when the master key is in a PKCS#11 token
        return sealer.sealOffLoop(euKey, new KeyBinding(request.entityId(), keyId, user, request.requestId(), gateway),
                request.proxy(), clock.instant()).onComplete(x -> euKey.destroy())
                .compose(newKey -> store.assign(newKey, digestUse(auth), admission, ConsentGate.wire(receipt)))
                .onComplete(x -> storing.outcome(x.failed() ? "failed"
                        : x.result().getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT),
                        x.failed() ? Status.INTERNAL_ERROR : Status.OK).end())
                .compose(result -> {
            final StoredKey stored;
            if (result instanceof AssignResult.Replayed) {
                LOG.info("refused: entity={} request={}: nonce count already used", request.entityId(),
                        request.requestId());
                return Future.succeededFuture(refuse(request, Status.UNAUTHORIZED, "nonce count already used"));
            } else if (result instanceof AssignResult.Refused r) {
                return Future.succeededFuture(refusal(request, AttemptGate.lockedOut(user, gateway, r.retryAfter())));
            } else if (result instanceof AssignResult.Created c) {
                stored = c.key();
                LOG.info("EUKey {} assigned: entity={} user={} gateway={} authenticated={}", stored.keyId(),
                        request.entityId(), user, gateway, request.proxy() ? "PN GW (proxy)" : "PNE");
            } else if (result instanceof AssignResult.Existing x) {
                stored = x.key();
                if (!stored.userId().equals(user)) {
                    return Future.succeededFuture(refuse(request, Status.CONFLICT, "entity is assigned to another user"));
                }
                if (stored.state() == KeyState.REVOKED || stored.state() == KeyState.RELEASED) {
                    LOG.info("refused: entity={} request={}: its key was {}", request.entityId(), request.requestId(),
                            stored.state());
                    return Future.succeededFuture(refuse(request, Status.FORBIDDEN, "the key of this request was "
                            + stored.state().name().toLowerCase(java.util.Locale.ROOT) + "; send a new Key Request"));
                }
            } else {
                LOG.info("refused: entity={} user={} gateway={}: owned by another user", request.entityId(), user,
                        gateway);
                return Future.succeededFuture(refuse(request, Status.CONFLICT, "entity is assigned to another user"));
            }
            return deliver(request, auth, ha1, agreement, stored, span);
        });
    }

    private Future<CpnsMessage> deliver(final KeyRequest request, final DigestAuthorization auth, final Ha1 ha1,
            final KeyAgreementCache.Agreement agreement, final StoredKey stored, final HopSpan span) {
        final HopSpan wrapping = span.child("server.wrap", HopSpan.Kind.INTERNAL);
        return sealer.openOffLoop(stored).onFailure(e -> wrapping.end())
                .map(opened -> deliver(request, auth, ha1, agreement, stored, opened, wrapping));
    }

    private CpnsMessage deliver(final KeyRequest request, final DigestAuthorization auth, final Ha1 ha1,
            final KeyAgreementCache.Agreement agreement, final StoredKey stored, final SecretBytes opened,
            final HopSpan wrapping) {
        try (SecretBytes euKey = opened) {
            final EuKeyWrap.Context ctx = new EuKeyWrap.Context(auth.nonce(), auth.cnonce(), request.entityId(),
                    stored.userId(), request.requestId(), stored.keyId(), request.epk().orElseThrow(),
                    agreement.serverEpk());
            return KeyDelivery.wrapped(request.requestId(), request.entityId(), stored.userId(), stored.keyId(),
                    EuKeyWrap.wrap(euKey, ha1, agreement.shared(), ctx));
        } finally {
            wrapping.end();
        }
    }

    /**
     * The key check value of an entity's active EUKey, so that an operator or a test can confirm a PNE holds
     * the stored key without either side revealing it.
     */
    public Future<java.util.Optional<String>> keyCheckValue(final org.cpnskeys.protocol.EntityId entity) {
        return store.findActive(entity).compose(this::keyCheckValue);
    }

    /** The key check value of the EUKey assigned for one request, whether still active or superseded since. */
    public Future<java.util.Optional<String>> keyCheckValue(final org.cpnskeys.protocol.EntityId entity,
            final org.cpnskeys.protocol.RequestId request) {
        return store.findByRequest(entity, request).compose(this::keyCheckValue);
    }

    private Future<java.util.Optional<String>> keyCheckValue(final java.util.Optional<StoredKey> found) {
        if (found.isEmpty()) {
            return Future.succeededFuture(java.util.Optional.empty());
        }
        return sealer.openOffLoop(found.get()).map(opened -> {
            try (SecretBytes key = opened) {
                return java.util.Optional.of(org.cpnskeys.protocol.crypto.KeyCheckValue.of(key));
            }
        });
    }

    private Challenge challenge(final GatewayId gateway, final KeyRequest request, final boolean stale) {
        return new Challenge(request.requestId(), request.entityId(), realm, nonces.issue(gateway), stale);
    }

    private static KeyDelivery refuse(final KeyRequest request, final int status, final String reason) {
        return KeyDelivery.refused(request.requestId(), request.entityId(), status, reason);
    }

    /** Maps any failure to a Key Delivery without key; anything unexpected is a 500, never an acceptance. */
    private CpnsMessage refusal(final KeyRequest request, final Throwable e) {
        if (e instanceof LockedOutException l) {
            metrics.lockedOut();
            LOG.warn("refused: entity={} request={}: {}", request.entityId(), request.requestId(), l.reason());
            return KeyDelivery.refused(request.requestId(), request.entityId(), Status.TOO_MANY_REQUESTS, l.reason(),
                    l.retryAfterSeconds());
        }
        if (e instanceof ProtocolException p) {
            if (p.status() == Status.UNAUTHORIZED) {
                LOG.info("refused: entity={} request={}: {}", request.entityId(), request.requestId(), p.reason());
            }
            return refuse(request, p.status(), p.reason());
        }
        LOG.error("Key Request {} for {} failed", request.requestId(), request.entityId(), e);
        metrics.internalError();
        return refuse(request, Status.INTERNAL_ERROR, "internal error");
    }

    private static byte[] randomBytes(final int n) {
        final byte[] b = new byte[n];
        DRBG.get().nextBytes(b);
        return b;
    }

    private static SecureRandom newDrbg() {
        try {
            return SecureRandom.getInstance("DRBG", DrbgParameters.instantiation(256,
                    DrbgParameters.Capability.RESEED_ONLY, "cpns-eukey".getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no DRBG", e);
        }
    }
}
