package org.cpnskeys.gateway;

import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;

import org.cpnskeys.broker.CloudAccessPolicy;
import org.cpnskeys.gateway.approval.ApprovalDecision;
import org.cpnskeys.gateway.approval.ApprovalRequest;
import org.cpnskeys.gateway.approval.ApprovalService;
import org.cpnskeys.gateway.credentials.CredentialPrompt;
import org.cpnskeys.gateway.credentials.GatewayCredentials;
import org.cpnskeys.gateway.credentials.UserCredentials;
import org.cpnskeys.gateway.keys.ProxyDigest;
import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.StatusReport;
import org.cpnskeys.protocol.Topics;
import org.cpnskeys.protocol.crypto.CachingKeyPair;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.mqtt.MqttConnection;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PN GW's request handling: takes PNE Key Requests from the PAN broker (F2), asks the user (F3, R7),
 * and either acts as proxy (R6, R8: authenticates with the user's HA1, decrypts the EUKey and forwards it in
 * clear over the mutually authenticated PAN, F4-F9, R17) or relays a PNE with UI's exchange with the server
 * and forwards its Key Delivery untouched (R5, R16). Idempotent on (Entity ID, request ID): a PNE's retry
 * gets {@code 202} while the request is in progress and the same final answer once it is done.
 *
 * <p>Several instances may run, each on its own event loop with its own PAN connection (in a shared subscription,
 * so each Key Request reaches one of them) and its own cloud connection. What they share is in {@link Shared}: the
 * sessions (a PNE's retry reaching another instance is handed to the one that owns the request, on that instance's
 * context), the digest nonce of the proxy and the journal of approved requests. An approved request is recorded in
 * the journal before it goes to the cloud and marked done with its final answer; at start the requests a previous
 * run left open are resumed with the same request ID, without asking the user again.
 */
public final class GatewayVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);
    private static final long SESSION_RETENTION_MS = 10 * 60 * 1000L;
    /**
     * Most finished requests remembered for retries at once. Beyond it the oldest are forgotten early; a PNE's retry
     * of one of them is then sent to the server again, which answers it idempotently with the same key. Without a
     * bound, ten minutes at thousands of keys per second held millions of sessions (about 3 KB each, measured).
     */
    static final int MAX_FINISHED_SESSIONS = 50_000;
    private static final long SWEEP_PERIOD_MS = 1_000;
    private static final int MAX_CHALLENGE_ROUNDS = 3;

    private final GatewayConfig config;
    private final MqttEndpoint panEndpoint;
    private final ApprovalService approval;
    private final GatewayCredentials credentials;
    private final CredentialPrompt prompt;
    private final DeviceDirectory devices;
    private final MessageCodec codec;
    private final KeyRequestOutcomes outcomes;
    private final Shared shared;
    private final int instance;
    private final ConcurrentHashMap<String, Session> sessions;
    private Context context;
    /** Finished sessions in the order they finished: one periodic sweep forgets them, not a timer each. */
    private final java.util.ArrayDeque<Finished> finished = new java.util.ArrayDeque<>();
    private long sweeper = -1;
    private final ProxyDigest digest;
    private MqttConnection pan;
    private CloudLink cloud;
    private GatewayMetrics metrics = GatewayMetrics.NOOP;
    private GatewayHealth health = new GatewayHealth();

    /** Marks a request dropped on purpose (R6 "MAY drop"): nothing is answered. */
    private static final class Dropped extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Dropped(final String why) {
            super(why, null, false, false);
        }
    }

    /** A refusal that tells the PNE when to try again (429). */
    private static final class Throttled extends ProtocolException {
        private static final long serialVersionUID = 1L;
        private final int retryAfter;

        Throttled(final String reason, final int retryAfter) {
            super(Status.TOO_MANY_REQUESTS, reason);
            this.retryAfter = retryAfter;
        }
    }

    private record Finished(String key, Session session, long forgetAtNanos) {
    }

    /**
     * What the gateway's verticle instances share: sessions by (Entity ID, request ID), the proxy's digest nonce and
     * the journal of approved requests (with what a previous run left open, resumed by the instances at start).
     */
    public static final class Shared {
        final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
        final ProxyDigest digest = new ProxyDigest();
        final Optional<ApprovedJournal> journal;
        final List<KeyRequest> resume;
        final int instances;

        /** {@code journal}: where approvals are recorded (empty: nowhere, they do not survive a restart). */
        /** Zeroes what the instances shared that is secret (the proxy's ephemeral keys); after the last stop. */
        public void close() {
            digest.close();
        }

        public Shared(final Optional<ApprovedJournal> journal, final int instances) {
            this.journal = journal;
            this.resume = journal.map(ApprovedJournal::unfinished).orElse(List.of());
            this.instances = instances;
        }
    }

    private static final class Session {
        final KeyRequest request;
        final GatewayVerticle owner;
        /** Touched only on the owner's context. */
        /** The cnonces of this request's digest answers, with the ephemeral key pair each answer carried. */
        final Map<String, CachingKeyPair> cnonces = new HashMap<>();
        final long started = System.nanoTime();
        Buffer finalReply;
        Buffer challenge;
        boolean awaitingPne;
        boolean journaled;

        Session(final KeyRequest request, final GatewayVerticle owner) {
            this.request = request;
            this.owner = owner;
        }

        EntityId entity() {
            return request.entityId();
        }
    }

    /** Instance {@code instance} (0 to {@code shared.instances - 1}) of the gateway. */
    public GatewayVerticle(final GatewayConfig config, final MqttEndpoint panEndpoint, final ApprovalService approval,
            final GatewayCredentials credentials, final CredentialPrompt prompt, final DeviceDirectory devices,
            final MessageCodec codec, final KeyRequestOutcomes outcomes, final Shared shared, final int instance) {
        if (instance < 0 || instance >= shared.instances) {
            throw new IllegalArgumentException("instance must be 0-" + (shared.instances - 1));
        }
        this.shared = shared;
        this.instance = instance;
        this.sessions = shared.sessions;
        this.digest = shared.digest;
        this.outcomes = outcomes;
        this.config = config;
        this.panEndpoint = panEndpoint;
        this.approval = approval;
        this.credentials = credentials;
        this.prompt = prompt;
        this.devices = devices;
        this.codec = codec;
    }

    /** Reports to these from now on (call before deployment). */
    public GatewayVerticle observedBy(final GatewayMetrics newMetrics, final GatewayHealth newHealth) {
        this.metrics = java.util.Objects.requireNonNull(newMetrics);
        this.health = java.util.Objects.requireNonNull(newHealth);
        return this;
    }

    @Override
    public Future<?> start() {
        context = vertx.getOrCreateContext();
        pan = MqttConnection.create(vertx, panEndpoint, "cpns-gateway-" + config.gatewayId()
                + (instance == 0 ? "" : "-" + instance));
        cloud = new CloudLink(vertx, MqttConnection.create(vertx, config.cloud(),
                CloudAccessPolicy.gatewayClientId(config.gatewayId(), instance)), config.gatewayId(), instance, codec,
                config.cloudTimeout());
        sweeper = vertx.setPeriodic(SWEEP_PERIOD_MS, t -> {
            forgetFinished(System.nanoTime());
            digest.sweep();
        });
        pan.onStateChange(health.panTracker());
        cloud.onStateChange(health.cloudTracker());
        // one instance takes the whole PAN filter; several split it with a shared subscription
        final String filter = shared.instances == 1 ? Topics.panKeyRequestFilter() : Topics.panKeyRequestSharedFilter();
        return cloud.start()
                .onSuccess(v -> resume())
                .compose(v -> pan.subscribe(filter, this::onPanRequest))
                .compose(v -> pan.start());
    }

    /** Takes up this instance's share of the approved requests a previous run left unfinished. */
    private void resume() {
        for (int i = instance; i < shared.resume.size(); i += shared.instances) {
            final KeyRequest request = shared.resume.get(i);
            final Session s = new Session(request, this);
            s.journaled = true;
            if (sessions.putIfAbsent(CloudLink.key(request.entityId(), request.requestId()), s) != null) {
                continue;
            }
            LOG.info("resuming the approved Key Request {} of PNE {} (approved before the gateway stopped)",
                    request.requestId(), request.entityId());
            if (request.proxy()) {
                devices.checkAdmitted(s.entity()).compose(v -> credentialsForProxy(s))
                        .compose(creds -> proxyExchange(s, creds, 1, 0)).onComplete(ar -> {
                    if (ar.succeeded()) {
                        finish(s, ar.result());
                    } else {
                        fail(s, ar.cause());
                    }
                });
            } else {
                relay(s, request);
            }
        }
    }

    @Override
    public Future<?> stop() {
        vertx.cancelTimer(sweeper);
        return Future.join(cloud == null ? Future.succeededFuture() : cloud.stop(),
                pan == null ? Future.succeededFuture() : pan.stop());
    }

    // ------------------------------------------------------------------ PAN side

    private void onPanRequest(final MqttConnection.Inbound in) {
        final Optional<Topics.Parsed> topic = Topics.parse(in.topic());
        if (topic.isEmpty() || !"pan".equals(topic.get().scope())) {
            return;
        }
        final EntityId entity = EntityId.of(topic.get().id());
        final KeyRequest request;
        try {
            request = codec.decode(in.payload(), KeyRequest.class);
            if (!request.entityId().equals(entity)) {
                throw ProtocolException.badRequest("entityId differs from the topic's");
            }
        } catch (ProtocolException e) {
            LOG.info("malformed Key Request from PNE {}: {}", entity, e.reason());
            publishPan(entity, Topics.STATUS, codec.encode(StatusReport.of(codec.peekRequestId(in.payload().getBytes()),
                    Optional.of(entity), e.status(), e.reason())));
            return;
        }
        final String key = CloudLink.key(entity, request.requestId());
        final Session session = new Session(request, this);
        final Session known = sessions.putIfAbsent(key, session);
        if (known != null) {
            if (known.owner == this) {
                onRepeat(known, request);
            } else {
                known.owner.context.runOnContext(v -> known.owner.onRepeat(known, request));
            }
            return;
        }
        LOG.info("F2 Key Request {} from PNE {} ({})", request.requestId(), entity,
                request.proxy() ? "asks the gateway to act as proxy" : "PNE with UI, user " + request.userId().map(Object::toString).orElse("?"));
        if (request.proxy()) {
            startProxy(session);
        } else {
            startRelay(session);
        }
    }

    private void onRepeat(final Session s, final KeyRequest request) {
        if (s.finalReply != null) {
            publishPan(s.entity(), Topics.KEY_DELIVERY, s.finalReply);
        } else if (s.awaitingPne && request.authorization().isPresent()) {
            s.awaitingPne = false;
            LOG.info("R5 forwarding the answer of PNE {} to the CPNS Server", s.entity());
            relay(s, request);
        } else if (s.awaitingPne && s.challenge != null) {
            publishPan(s.entity(), Topics.CHALLENGE, s.challenge);
        } else {
            pending(s, "request in progress");
        }
    }

    private void pending(final Session s, final String why) {
        publishPan(s.entity(), Topics.STATUS, codec.encode(StatusReport.pending(s.request.requestId(), s.entity(), why,
                config.retryAfterSeconds())));
    }

    /** The user's approval, asked only for a device the register still admits, and kept only if it still does. */
    private Future<Void> approved(final Session s) {
        return devices.checkAdmitted(s.entity()).compose(v -> askUser(s));
    }

    private Future<Void> askUser(final Session s) {
        if (health.pendingApprovals.incrementAndGet() > GatewayConfig.MAX_PENDING_APPROVALS) {
            health.pendingApprovals.decrementAndGet();
            LOG.warn("Key Request {} of PNE {} refused: {} requests already wait for the user", s.request.requestId(),
                    s.entity(), GatewayConfig.MAX_PENDING_APPROVALS);
            return Future.failedFuture(new Throttled("too many Key Requests are waiting for the user's decision",
                    config.retryAfterSeconds() * 5));
        }
        final String fingerprint = devices.fingerprint(s.entity()).orElse("unknown");
        final ApprovalRequest ask = new ApprovalRequest(s.request.requestId(), s.entity(), s.request.proxy(),
                s.request.description(), fingerprint, Instant.now().plus(config.approvalTimeout()));
        LOG.info("F3 asking the user to validate the Key Request of PNE {} (certificate {})", s.entity(), fingerprint);
        final Future<ApprovalDecision> decided = onOwnContext(approval.decide(ask));
        if (!decided.isComplete()) {
            // only when the user really has to decide: a decision by rule costs the PAN no extra message
            pending(s, "awaiting the user's approval");
        }
        return decided.onComplete(x -> health.pendingApprovals.decrementAndGet()).compose(decision -> {
            if (decision == ApprovalDecision.APPROVED) {
                LOG.info("F3 the user approved PNE {}", s.entity());
                return devices.checkAdmitted(s.entity()).compose(v -> journal(s));
            }
            LOG.info("F3 the user did not approve PNE {}: {}", s.entity(), decision);
            return Future.failedFuture(new ProtocolException(Status.FORBIDDEN,
                    decision == ApprovalDecision.DENIED ? "denied by the user" : "not approved in time"));
        });
    }

    /** The outcome of {@code f}, delivered on this instance's context whatever thread completes {@code f}. */
    private <T> Future<T> onOwnContext(final Future<T> f) {
        if (f.isComplete()) {
            return f;
        }
        final Promise<T> here = Promise.promise();
        f.onComplete(ar -> {
            if (io.vertx.core.Vertx.currentContext() == context) {
                here.handle(ar);
            } else {
                context.runOnContext(v -> here.handle(ar));
            }
        });
        return here.future();
    }

    /** Records the approval durably before it is acted on; the request is then resumed after a crash. */
    private Future<Void> journal(final Session s) {
        if (shared.journal.isEmpty()) {
            return Future.succeededFuture();
        }
        return shared.journal.get().approved(s.request).onSuccess(v -> s.journaled = true);
    }

    // ------------------------------------------------------------------ proxy (PNE without UI)

    private void startProxy(final Session s) {
        if (!devices.mutuallyAuthenticated(s.entity())) {
            // R4: the clear EUKey of a proxied delivery may only travel over a mutually authenticated PAN connection
            LOG.warn("R4 proxy Key Request {} of PNE {} refused: its PAN connection has no client certificate",
                    s.request.requestId(), s.entity());
            fail(s, new ProtocolException(Status.FORBIDDEN, "proxy Key Request refused: the PAN connection is not"
                    + " mutually authenticated (no client certificate)"));
            return;
        }
        credentialsForProxy(s)
                .compose(creds -> approved(s).map(creds))
                .compose(creds -> {
                    LOG.info("F4 relaying the Key Request of PNE {} to the CPNS Server as proxy for user {}",
                            s.entity(), creds.userId());
                    return proxyExchange(s, creds, 1, 0);
                })
                .onComplete(ar -> {
                    if (ar.succeeded()) {
                        finish(s, ar.result());
                    } else {
                        fail(s, ar.cause());
                    }
                });
    }

    private Future<UserCredentials> credentialsForProxy(final Session s) {
        final Optional<UserCredentials> current = credentials.current();
        if (current.isPresent()) {
            return Future.succeededFuture(current.get());
        }
        if (config.onMissingCredentials() == GatewayConfig.MissingCredentials.DROP) {
            return Future.failedFuture(new Dropped("no User ID and password configured on the gateway"));
        }
        pending(s, "awaiting the user's credentials");
        return prompt.ask(config.realm(), "PNE " + s.entity() + " asks for an EUKey").compose(given -> given
                .map(Future::succeededFuture)
                .orElseGet(() -> Future.failedFuture(new ProtocolException(Status.FORBIDDEN, "no credentials given"))));
    }

    private Future<KeyDelivery> proxyExchange(final Session s, final UserCredentials creds, final int attempt,
            final int rounds) {
        final KeyRequest base = s.request.withoutAuthorization().withUser(creds.userId());
        final Optional<ProxyDigest.Answer> answer = digest.answer(base, creds);
        answer.ifPresent(a -> s.cnonces.put(a.cnonce(), a.keys()));
        final KeyRequest outgoing = answer.map(ProxyDigest.Answer::request).orElse(base);
        return cloud.send(outgoing).compose(
                reply -> onProxyReply(s, creds, reply.message(), attempt, rounds),
                err -> attempt < config.cloudAttempts() && isUnavailable(err)
                        ? proxyExchange(s, creds, attempt + 1, rounds)
                        : queueOrFail(s, creds, rounds, err));
    }

    /**
     * An approved request is not lost to a cloud outage: while the server stays unreachable the request waits
     * (the PNE is told 202) for the cloud connection to come back, up to {@link GatewayConfig#CLOUD_QUEUE_TIME}
     * after it arrived; then it is answered 503.
     */
    private Future<KeyDelivery> queueOrFail(final Session s, final UserCredentials creds, final int rounds,
            final Throwable err) {
        final long left = GatewayConfig.CLOUD_QUEUE_TIME.toNanos() - (System.nanoTime() - s.started);
        if (!isUnavailable(err) || left <= 0) {
            return Future.failedFuture(err);
        }
        LOG.info("CPNS Server unreachable: Key Request {} of PNE {} waits for the cloud", s.request.requestId(),
                s.entity());
        pending(s, "CPNS Server unreachable: the request is queued");
        health.queuedForCloud.incrementAndGet();
        // Never try again at once: a failure while still connected (a lost answer, a refused publish) waits one
        // cloud timeout, an outage waits for the reconnection; either way the event loop is not held.
        final Promise<Void> pause = Promise.promise();
        vertx.setTimer(config.cloudTimeout().toMillis(), t -> pause.complete());
        return pause.future()
                .compose(v -> cloud.connected(java.time.Duration.ofNanos(Math.max(1, left
                        - config.cloudTimeout().toNanos()))))
                .onComplete(x -> health.queuedForCloud.decrementAndGet())
                .compose(v -> proxyExchange(s, creds, 1, rounds), e -> Future.failedFuture(err));
    }

    private Future<KeyDelivery> onProxyReply(final Session s, final UserCredentials creds, final CpnsMessage reply,
            final int attempt, final int rounds) {
        if (reply instanceof Challenge c) {
            digest.accept(c);
            if (rounds >= MAX_CHALLENGE_ROUNDS) {
                return Future.failedFuture(new ProtocolException(Status.UNAUTHORIZED, "the server keeps challenging"));
            }
            LOG.info("F5 digest challenge from the CPNS Server{}; answering for PNE {}", c.stale() ? " (stale nonce)" : "",
                    s.entity());
            return proxyExchange(s, creds, attempt, rounds + 1);
        }
        if (reply instanceof KeyDelivery d) {
            if (!d.delivered()) {
                LOG.info("R13 Key Delivery without EUKey for PNE {}: {} {}", s.entity(), d.status(), d.reason().orElse(""));
                return Future.succeededFuture(d);
            }
            try {
                return Future.succeededFuture(open(s, creds, d));
            } catch (GeneralSecurityException e) {
                LOG.warn("F8 Key Delivery for PNE {} rejected: the wrapped key failed verification", s.entity());
                return attempt < config.cloudAttempts()
                        ? proxyExchange(s, creds, attempt + 1, rounds)
                        : Future.failedFuture(new ProtocolException(Status.INTERNAL_ERROR,
                                "the Key Delivery from the server failed verification"));
            }
        }
        final StatusReport r = (StatusReport) reply;
        return Future.failedFuture(new ProtocolException(r.status(), r.reason()));
    }

    private KeyDelivery open(final Session s, final UserCredentials creds, final KeyDelivery d)
            throws GeneralSecurityException {
        final KeyDelivery clear = ProxyDigest.open(d, s.request, creds, s.cnonces);
        LOG.info("F8 EUKey {} for PNE {} decrypted (GCM tag verified)", d.keyId().get(), s.entity());
        return clear;
    }

    // ------------------------------------------------------------------ relay (PNE with UI)

    private void startRelay(final Session s) {
        if (s.request.userId().isEmpty()) {
            fail(s, ProtocolException.badRequest("userId is required when the PNE does not ask for a proxy"));
            return;
        }
        approved(s).onComplete(ar -> {
            if (ar.succeeded()) {
                LOG.info("F4 relaying the Key Request of PNE {} to the CPNS Server", s.entity());
                relay(s, s.request);
            } else {
                fail(s, ar.cause());
            }
        });
    }

    private void relay(final Session s, final KeyRequest request) {
        sendRelayed(s, request, 1).onComplete(ar -> {
            if (ar.failed()) {
                fail(s, ar.cause());
                return;
            }
            final CloudLink.CloudReply reply = ar.result();
            if (reply.message() instanceof Challenge) {
                s.awaitingPne = true;
                s.challenge = reply.raw();
                LOG.info("R5 relaying the server's digest challenge to PNE {}", s.entity());
                publishPan(s.entity(), Topics.CHALLENGE, reply.raw());
            } else if (reply.message() instanceof KeyDelivery d && d.delivered() && d.wrappedKey().isEmpty()) {
                // [H] 3: a PNE with UI only ever gets its key wrapped for it; a clear EUKey on the cloud leg was
                // seen by every hop on the way (or planted): never forward it
                d.euKey().ifPresent(SecretBytes::destroy);
                LOG.warn("Key Delivery for PNE {} (with UI) dropped: it carries the EUKey in clear, not wrapped",
                        s.entity());
                fail(s, new ProtocolException(Status.INTERNAL_ERROR, "the server's Key Delivery carried a clear"
                        + " EUKey and was dropped by the gateway"));
            } else if (reply.message() instanceof KeyDelivery d) {
                metrics.keyRequest(d.delivered() ? "delivered" : "refused", d.status());
                LOG.info("R16 forwarding the Key Delivery (status {}) to PNE {} untouched", d.status(), s.entity());
                tell(s, d);
                finishRaw(s, reply.raw());
            } else {
                final StatusReport r = (StatusReport) reply.message();
                fail(s, new ProtocolException(r.status(), r.reason()));
            }
        });
    }

    private Future<CloudLink.CloudReply> sendRelayed(final Session s, final KeyRequest request, final int attempt) {
        return cloud.send(request).recover(err -> request.authorization().isEmpty() && attempt < config.cloudAttempts()
                && isUnavailable(err) ? sendRelayed(s, request, attempt + 1) : Future.failedFuture(err));
    }

    // ------------------------------------------------------------------ endings

    private void finish(final Session s, final KeyDelivery delivery) {
        metrics.keyRequest(delivery.delivered() ? "delivered" : "refused", delivery.status());
        tell(s, delivery);
        final Buffer payload = codec.encode(delivery);
        delivery.euKey().ifPresent(SecretBytes::destroy);
        if (delivery.delivered()) {
            LOG.info("F9 forwarding EUKey {} to PNE {} over the PAN", delivery.keyId().get(), s.entity());
        }
        if (delivery.status() == Status.UNAVAILABLE || delivery.status() == Status.TOO_MANY_REQUESTS) {
            // Not final: the server was unreachable, or the request was throttled. Forget it so that the PNE's
            // retry (same request ID) starts it again instead of getting this answer back.
            sessions.remove(CloudLink.key(s.entity(), s.request.requestId()), s);
            done(s);
            publishPan(s.entity(), Topics.KEY_DELIVERY, payload);
            return;
        }
        finishRaw(s, payload);
    }

    private void finishRaw(final Session s, final Buffer payload) {
        s.finalReply = payload;
        s.challenge = null;
        s.awaitingPne = false;
        done(s);
        publishPan(s.entity(), Topics.KEY_DELIVERY, payload);
        final String key = CloudLink.key(s.entity(), s.request.requestId());
        finished.addLast(new Finished(key, s, System.nanoTime() + SESSION_RETENTION_MS * 1_000_000L));
        if (finished.size() > MAX_FINISHED_SESSIONS) {
            forgetFinished(System.nanoTime());
        }
    }

    /** Forgets the finished sessions whose retention is over, and the oldest beyond the bound. */
    private void forgetFinished(final long now) {
        Finished f;
        while ((f = finished.peekFirst()) != null
                && (finished.size() > MAX_FINISHED_SESSIONS || now - f.forgetAtNanos() >= 0)) {
            finished.pollFirst();
            sessions.remove(f.key(), f.session());
        }
    }

    private void fail(final Session s, final Throwable e) {
        if (e instanceof Dropped) {
            LOG.info("R6 Key Request {} of PNE {} dropped: {}", s.request.requestId(), s.entity(), e.getMessage());
            sessions.remove(CloudLink.key(s.entity(), s.request.requestId()), s);
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
            LOG.error("Key Request {} of PNE {} failed", s.request.requestId(), s.entity(), e);
            status = Status.INTERNAL_ERROR;
            reason = "internal error";
        }
        finish(s, e instanceof Throttled t
                ? KeyDelivery.refused(s.request.requestId(), s.entity(), status, reason, t.retryAfter)
                : KeyDelivery.refused(s.request.requestId(), s.entity(), status, reason));
    }

    /** The request got its final answer: the journal no longer needs to resume it. */
    private void done(final Session s) {
        if (s.journaled) {
            s.journaled = false;
            shared.journal.ifPresent(j -> j.finished(s.entity(), s.request.requestId()));
        }
    }

    private void tell(final Session s, final KeyDelivery d) {
        report(s, d.status(), d.delivered() ? "EUKey delivered to the PNE" : d.reason().orElse(""));
    }

    private void report(final Session s, final int status, final String reason) {
        try {
            outcomes.finished(s.entity(), s.request.requestId(), status, reason);
        } catch (RuntimeException e) {
            LOG.warn("outcome listener failed: {}", e.toString());
        }
    }

    private static boolean isUnavailable(final Throwable e) {
        return e instanceof ProtocolException p && p.status() == Status.UNAVAILABLE;
    }

    private void publishPan(final EntityId entity, final String leaf, final Buffer payload) {
        pan.publish(Topics.pan(entity, leaf), payload)
                .onFailure(e -> LOG.warn("message to PNE {} not sent: {}", entity, e.getMessage()));
    }
}
