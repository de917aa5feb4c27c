package org.cpnskeys.server;

import java.nio.charset.StandardCharsets;
import java.security.DrbgParameters;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;

import io.vertx.core.Future;

import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.DigestAuthorization;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.AesGcm;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.EuKeyWrap;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.server.auth.DigestRealm;
import org.cpnskeys.server.auth.FailureLimiter;
import org.cpnskeys.server.auth.LockedOutException;
import org.cpnskeys.server.auth.NonceService;
import org.cpnskeys.server.auth.ReplayGuard;
import org.cpnskeys.server.store.AssignResult;
import org.cpnskeys.server.store.EuKeyRepository;
import org.cpnskeys.server.store.KeyIds;
import org.cpnskeys.server.store.KeyState;
import org.cpnskeys.server.store.NewKey;
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
    private static final String MASTER_AAD = "cpns-master-v1:";
    private static final ThreadLocal<SecureRandom> DRBG = ThreadLocal.withInitial(KeyAssignmentService::newDrbg);

    private final String realm;
    private final NonceService nonces;
    private final ReplayGuard replays;
    private final DigestRealm users;
    private final EuKeyRepository store;
    private final SecretBytes masterKey;
    private final Duration nonceLifetime;
    private final Clock clock;
    private final FailureLimiter failures;
    private final Limits limits;
    private final AuditLog audit;
    private final KeyAgreementCache agreements;
    private volatile ServerMetrics metrics = ServerMetrics.NOOP;
    private volatile RequestRateLimiter rate;

    /** How many failed authentications lock a user, or a gateway, out, and for how long. */
    public record Limits(FailureLimiter.Limit perUser, FailureLimiter.Limit perGateway) {
        public static final Limits DEFAULT = new Limits(new FailureLimiter.Limit(5, Duration.ofMinutes(15)),
                new FailureLimiter.Limit(50, Duration.ofMinutes(15)));
    }
    private final java.util.concurrent.atomic.AtomicLong handled = new java.util.concurrent.atomic.AtomicLong();

    public KeyAssignmentService(final String realm, final NonceService nonces, final ReplayGuard replays,
            final DigestRealm users, final EuKeyRepository store, final SecretBytes masterKey,
            final Duration nonceLifetime, final Clock clock, final FailureLimiter failures, final Limits limits,
            final AuditLog audit, final KeyAgreementCache agreements) {
        this.realm = realm;
        this.nonces = nonces;
        this.replays = replays;
        this.users = users;
        this.store = store;
        this.masterKey = masterKey;
        this.nonceLifetime = nonceLifetime;
        this.clock = clock;
        this.failures = failures;
        this.limits = limits;
        this.audit = audit;
        this.agreements = agreements;
    }

    /**
     * Answers a Key Request from the given gateway with a {@link Challenge} or a {@link KeyDelivery}; every
     * Key Delivery (assignment or refusal) is recorded in the audit log.
     */
    public Future<CpnsMessage> handle(final GatewayId gateway, final KeyRequest request) {
        handled.incrementAndGet();
        final long start = System.nanoTime();
        return answer(gateway, request).onSuccess(reply -> {
            final long nanos = System.nanoTime() - start;
            if (reply instanceof KeyDelivery d) {
                metrics.keyRequest(d.delivered() ? "delivered" : "refused", d.status(), nanos);
            } else {
                metrics.keyRequest("challenged", Status.UNAUTHORIZED, nanos);
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

    /** Reports to the given metrics from now on. */
    public void setMetrics(final ServerMetrics metrics) {
        this.metrics = java.util.Objects.requireNonNull(metrics);
    }

    private Future<CpnsMessage> answer(final GatewayId gateway, final KeyRequest request) {
        final RequestRateLimiter limiter = rate;
        if (limiter == null || limiter.perSecond() == RequestRateLimiter.UNLIMITED) {
            return decide(gateway, request);
        }
        return limiter.acquire(gateway.value()).compose(over -> {
            if (over.isEmpty()) {
                return decide(gateway, request);
            }
            LOG.debug("refused: entity={} request={}: gateway {} is over its rate limit", request.entityId(),
                    request.requestId(), gateway);
            return Future.succeededFuture(KeyDelivery.refused(request.requestId(), request.entityId(),
                    Status.TOO_MANY_REQUESTS, "request rate limit of " + limiter.perSecond()
                            + " Key Requests per second exceeded for gateway " + gateway, over.get()));
        }, e -> Future.succeededFuture(refusal(request, e)));
    }

    private Future<CpnsMessage> decide(final GatewayId gateway, final KeyRequest request) {
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
        final String userKey = "user:" + auth.username();
        final String gatewayKey = "gateway:" + gateway.value();
        return notLockedOut(userKey, limits.perUser(), "user " + auth.username())
                .compose(userFailures -> notLockedOut(gatewayKey, limits.perGateway(), "gateway " + gateway)
                .compose(v -> users.verify(auth, DigestClient.METHOD).recover(e -> failures.recordFailure(userKey, limits.perUser())
                        .compose(x -> failures.recordFailure(gatewayKey, limits.perGateway()))
                        .transform(x -> Future.failedFuture(e))))
                // a success forgets the user's failures; with none counted there is nothing to write
                .compose(ha1 -> (userFailures ? failures.reset(userKey) : Future.<Void>succeededFuture())
                        .compose(v -> firstUse(auth))
                        .compose(v -> assign(gateway, request, auth, ha1))
                        .onComplete(x -> ha1.destroy())))
                .recover(e -> Future.succeededFuture(refusal(request, e)));
    }

    /** Fails with {@link LockedOutException} while {@code key} is locked out; else tells whether failures are counted. */
    private Future<Boolean> notLockedOut(final String key, final FailureLimiter.Limit limit, final String who) {
        return failures.standing(key, limit).compose(s -> s.lockedFor().isEmpty()
                ? Future.succeededFuture(s.failuresCounted())
                : Future.failedFuture(new LockedOutException("too many failed attempts for " + who,
                        (int) Math.max(1, (s.lockedFor().get().toMillis() + 999) / 1000))));
    }

    /** How many Key Requests this server took up so far (with or without authorization). */
    public long handledRequests() {
        return handled.get();
    }

    private Future<Void> firstUse(final DigestAuthorization auth) {
        final java.util.Optional<java.time.Instant> expiry = NonceService.expiry(auth.nonce());
        if (expiry.isEmpty()) {
            return Future.failedFuture(new ProtocolException(Status.UNAUTHORIZED, "authentication failed"));
        }
        return replays.firstUse(auth.nonce(), auth.nc(), expiry.get()).compose(first -> first
                ? Future.succeededFuture()
                : Future.failedFuture(new ProtocolException(Status.UNAUTHORIZED, "nonce count already used")));
    }

    /** The X25519 agreement with the request's ephemeral key (checked before any key is created). */
    private Future<KeyAgreementCache.Agreement> agreement(final KeyRequest request) {
        return agreements.agree(request.epk().orElseThrow()).recover(e -> Future.failedFuture(
                ProtocolException.badRequest("epk is not a usable X25519 public key (low-order point)")));
    }

    private Future<CpnsMessage> assign(final GatewayId gateway, final KeyRequest request,
            final DigestAuthorization auth, final Ha1 ha1) {
        return agreement(request).compose(agreement -> assign(gateway, request, auth, ha1, agreement)
                .onComplete(x -> agreement.shared().destroy()));
    }

    private Future<CpnsMessage> assign(final GatewayId gateway, final KeyRequest request,
            final DigestAuthorization auth, final Ha1 ha1, final KeyAgreementCache.Agreement agreement) {
        final UserId user = auth.userId();
        final KeyId keyId = KeyIds.next(clock.millis(), DRBG.get());
        final byte[] euKey = randomBytes(EuKeyWrap.EUKEY_BYTES);
        final byte[] sealed;
        try (SecretBytes key = SecretBytes.adopt(euKey)) {
            sealed = sealForStore(key, request, keyId);
        }
        final NewKey newKey = new NewKey(request.entityId(), user, gateway, request.requestId(), keyId, request.proxy(),
                sealed, clock.instant());
        return store.assign(newKey).map(result -> {
            final StoredKey stored;
            if (result instanceof AssignResult.Created c) {
                stored = c.key();
                LOG.info("EUKey {} assigned: entity={} user={} gateway={} authenticated={}", stored.keyId(),
                        request.entityId(), user, gateway, request.proxy() ? "PN GW (proxy)" : "PNE");
            } else if (result instanceof AssignResult.Existing x) {
                stored = x.key();
                if (!stored.userId().equals(user)) {
                    return refuse(request, Status.CONFLICT, "entity is assigned to another user");
                }
                if (stored.state() == KeyState.REVOKED || stored.state() == KeyState.RELEASED) {
                    LOG.info("refused: entity={} request={}: its key was {}", request.entityId(), request.requestId(),
                            stored.state());
                    return refuse(request, Status.FORBIDDEN, "the key of this request was "
                            + stored.state().name().toLowerCase(java.util.Locale.ROOT) + "; send a new Key Request");
                }
            } else {
                LOG.info("refused: entity={} user={} gateway={}: owned by another user", request.entityId(), user,
                        gateway);
                return refuse(request, Status.CONFLICT, "entity is assigned to another user");
            }
            return deliver(request, auth, ha1, agreement, stored);
        });
    }

    private CpnsMessage deliver(final KeyRequest request, final DigestAuthorization auth, final Ha1 ha1,
            final KeyAgreementCache.Agreement agreement, final StoredKey stored) {
        try (SecretBytes euKey = openFromStore(stored)) {
            final EuKeyWrap.Context ctx = new EuKeyWrap.Context(auth.nonce(), auth.cnonce(), request.entityId(),
                    stored.userId(), request.requestId(), stored.keyId(), request.epk().orElseThrow(),
                    agreement.serverEpk());
            return KeyDelivery.wrapped(request.requestId(), request.entityId(), stored.userId(), stored.keyId(),
                    EuKeyWrap.wrap(euKey, ha1, agreement.shared(), ctx));
        }
    }

    /**
     * The key check value of an entity's active EUKey, so that an operator or a test can confirm a PNE holds
     * the stored key without either side revealing it.
     */
    public Future<java.util.Optional<String>> keyCheckValue(final org.cpnskeys.protocol.EntityId entity) {
        return store.findActive(entity).map(found -> found.map(stored -> {
            try (SecretBytes key = openFromStore(stored)) {
                return org.cpnskeys.protocol.crypto.KeyCheckValue.of(key);
            }
        }));
    }

    /** The key check value of the EUKey assigned for one request, whether still active or superseded since. */
    public Future<java.util.Optional<String>> keyCheckValue(final org.cpnskeys.protocol.EntityId entity,
            final org.cpnskeys.protocol.RequestId request) {
        return store.findByRequest(entity, request).map(found -> found.map(stored -> {
            try (SecretBytes key = openFromStore(stored)) {
                return org.cpnskeys.protocol.crypto.KeyCheckValue.of(key);
            }
        }));
    }

    private byte[] sealForStore(final SecretBytes euKey, final KeyRequest request, final KeyId keyId) {
        final byte[] plain = euKey.reveal();
        try {
            final AesGcm.Sealed s = AesGcm.seal(masterKey, plain, masterAad(request.entityId().value(), keyId.value()));
            final byte[] iv = s.iv();
            final byte[] ct = s.ciphertext();
            final byte[] out = Arrays.copyOf(iv, iv.length + ct.length);
            System.arraycopy(ct, 0, out, iv.length, ct.length);
            return out;
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    private SecretBytes openFromStore(final StoredKey stored) {
        final byte[] blob = stored.sealedKey();
        try {
            return SecretBytes.adopt(AesGcm.open(masterKey, Arrays.copyOf(blob, AesGcm.IV_BYTES),
                    Arrays.copyOfRange(blob, AesGcm.IV_BYTES, blob.length),
                    masterAad(stored.entityId().value(), stored.keyId().value())));
        } catch (GeneralSecurityException e) {
            throw new ProtocolException(Status.INTERNAL_ERROR, "stored key cannot be opened");
        }
    }

    private static byte[] masterAad(final String entity, final String keyId) {
        return (MASTER_AAD + entity + ":" + keyId).getBytes(StandardCharsets.UTF_8);
    }

    private Challenge challenge(final GatewayId gateway, final KeyRequest request, final boolean stale) {
        return new Challenge(request.requestId(), request.entityId(), realm, nonces.issue(gateway), stale);
    }

    private static KeyDelivery refuse(final KeyRequest request, final int status, final String reason) {
        return KeyDelivery.refused(request.requestId(), request.entityId(), status, reason);
    }

    /** Maps any failure to a Key Delivery without key; anything unexpected is a 500, never an acceptance. */
    private static CpnsMessage refusal(final KeyRequest request, final Throwable e) {
        if (e instanceof LockedOutException l) {
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
