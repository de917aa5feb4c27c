package org.cpnskeys.gateway.keys;

import java.util.Objects;
import java.util.Optional;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;

import org.cpnskeys.gateway.GatewayHealth;
import org.cpnskeys.gateway.GatewayMetrics;
import org.cpnskeys.gateway.approval.ApprovalDecision;
import org.cpnskeys.gateway.approval.ApprovalRequest;
import org.cpnskeys.gateway.credentials.UserCredentials;
import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyRelease;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.StatusReport;
import org.cpnskeys.protocol.TraceParent;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.trace.HopSpan;
import org.cpnskeys.protocol.trace.Tracing;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PN GW's decisions on PNE Key Requests, without MQTT: asks the user (F3, R7) for a device the register still
 * admits, and either acts as proxy (R6, R8: {@link ProxyExchange}, then the EUKey in clear over the mutually
 * authenticated PAN, F9, R4, R17) or relays a PNE with UI's exchange with the server and forwards the server's
 * challenge and Key Delivery untouched (R5, R16). Idempotent on (Entity ID, request ID): a PNE's retry gets
 * {@code 202} while the request is in progress and the same final answer once it is done. An approved request is
 * recorded in the journal before it goes to the cloud and marked done with its final answer; {@link #resume} takes up
 * what a previous run left open, with the same request ID, without asking the user again. Every failure is mapped
 * once, in {@link SessionEndings#fail}, to the Key Delivery the PNE gets (or to nothing, for a drop).
 *
 * <p>One service per gateway instance, each on its own thread ({@link GatewayScheduler}), with its own
 * {@link CloudLink} and {@link PanLink}; what the instances share is in {@link SharedState}.
 */
public final class GatewayKeyService {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayKeyService.class);

    private final KeyServiceSettings settings;
    private final UserSide user;
    private final SharedState shared;
    private final int instance;
    private final PanLink pan;
    private final GatewayScheduler scheduler;
    private final MessageCodec codec;
    private final CloudReplies cloud;
    private final ProxyExchange proxy;
    private final FinishedSessions finished;
    private final SessionEndings endings;
    private final ReleaseExchange releases;
    private final PanReleaseRelay panReleases;
    private GatewayMetrics metrics = GatewayMetrics.NOOP;
    private GatewayHealth health = new GatewayHealth();
    private Tracing tracing = Tracing.OFF;

    /** Instance {@code instance} (0 to {@code shared.instances() - 1}) of the gateway's service. */
    public GatewayKeyService(final KeyServiceSettings settings, final UserSide user, final SharedState shared,
            final int instance, final CloudLink cloudLink, final PanLink pan, final GatewayScheduler scheduler,
            final MessageCodec codec) {
        if (instance < 0 || instance >= shared.instances) {
            throw new IllegalArgumentException("instance must be 0-" + (shared.instances - 1));
        }
        this.settings = Objects.requireNonNull(settings, "settings");
        this.user = Objects.requireNonNull(user, "user");
        this.shared = shared;
        this.instance = instance;
        this.pan = Objects.requireNonNull(pan, "pan");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.codec = Objects.requireNonNull(codec, "codec");
        this.cloud = new CloudReplies(cloudLink, scheduler, settings.cloudTimeout());
        this.proxy = new ProxyExchange(settings, shared.digest, cloud, cloudLink, scheduler, this::pending);
        this.finished = new FinishedSessions(shared.sessions);
        this.endings = new SessionEndings(shared, user, pan, scheduler, codec, finished);
        this.releases = new ReleaseExchange(settings, shared, cloud, user);
        this.panReleases = new PanReleaseRelay(settings, user, cloud, pan, scheduler, codec);
        shared.releaser.compareAndSet(null, this);
    }

    /** Reports to these from now on (call before the first request). */
    public GatewayKeyService observedBy(final GatewayMetrics newMetrics, final GatewayHealth newHealth) {
        this.metrics = Objects.requireNonNull(newMetrics);
        endings.observedBy(newMetrics);
        this.health = Objects.requireNonNull(newHealth);
        proxy.observedBy(newHealth);
        return this;
    }

    // ------------------------------------------------------------------ entry points

    /** Makes a span for each request's part at the gateway (call before the first request; default off). */
    public GatewayKeyService tracedBy(final Tracing newTracing) {
        this.tracing = Objects.requireNonNull(newTracing);
        return this;
    }

    /** A PNE's Key Request from the PAN (F2), its Entity ID already checked against the topic's. */
    public void keyRequest(final KeyRequest request) {
        keyRequest(request, Optional.empty());
    }

    /** {@link #keyRequest(KeyRequest)} with the {@code traceparent} the PNE sent, if any. */
    public void keyRequest(final KeyRequest request, final Optional<TraceParent> traceparent) {
        final Session session = new Session(request, this, scheduler.nanoTime());
        final Session known = shared.sessions.putIfAbsent(session.key(), session);
        if (known != null) {
            known.owner.scheduler.execute(() -> known.owner.repeat(known, request));
            return;
        }
        session.span = tracing.start("gateway.key-request", traceparent, HopSpan.Kind.SERVER)
                .request(request.entityId(), request.requestId());
        LOG.info("F2 Key Request {} from PNE {} ({})", request.requestId(), request.entityId(), request.proxy()
                ? "asks the gateway to act as proxy"
                : "PNE with UI, user " + request.userId().map(Object::toString).orElse("?"));
        if (request.proxy()) {
            startProxy(session);
        } else {
            startRelay(session);
        }
    }

    /** A PNE with UI's own release from the PAN ({@link PanReleaseRelay}), its Entity ID already checked. */
    public void keyRelease(final KeyRelease release) {
        scheduler.execute(() -> panReleases.onRelease(release));
    }

    /**
     * Releases {@code entity} for the gateway's user ("remove this device", {@code cpns gateway release}; the action
     * is the consent): {@link ReleaseExchange#release}. Completes on any thread with the final status; never fails.
     */
    public Future<StatusReport> release(final EntityId entity) {
        final Promise<StatusReport> done = Promise.promise();
        scheduler.execute(() -> releases.release(entity).onComplete(done));
        return done.future();
    }

    /** Forgets a finished session of this instance kept for retries, zeroing its answer (a clear EUKey). */
    void forgetFinished(final Session s) {
        scheduler.execute(() -> {
            if (s.finalReply != null && shared.sessions.remove(s.key(), s)) {
                s.finalReply.setBytes(0, new byte[s.finalReply.length()]);
                s.finalReply = null;
            }
        });
    }

    /** A reply from the server on this instance's reply topics: decoded, and as received. */
    public void cloudReply(final CpnsMessage message, final Buffer raw) {
        cloud.onReply(message, raw);
    }

    /** Takes up this instance's share of the approved requests a previous run left unfinished. */
    public void resume() {
        for (int i = instance; i < shared.resume.size(); i += shared.instances) {
            final KeyRequest request = shared.resume.get(i);
            final Session s = new Session(request, this, scheduler.nanoTime());
            s.journaled = true;
            if (shared.sessions.putIfAbsent(s.key(), s) != null) {
                continue;
            }
            s.span = tracing.start("gateway.key-request", Optional.empty(), HopSpan.Kind.SERVER)
                    .request(request.entityId(), request.requestId());
            LOG.info("resuming the approved Key Request {} of PNE {} (approved before the gateway stopped)",
                    request.requestId(), request.entityId());
            if (request.proxy()) {
                user.devices().checkAdmitted(s.entity()).compose(v -> credentialsForProxy(s))
                        .compose(creds -> signConsent(s, creds.userId()).compose(v -> proxy.run(s, creds)))
                        .onSuccess(d -> endings.finish(s, d)).onFailure(e -> endings.fail(s, e));
            } else {
                request.userId().map(u -> signConsent(s, u)).orElse(Future.succeededFuture())
                        .onSuccess(v -> relay(s, request)).onFailure(e -> endings.fail(s, e));
            }
        }
    }

    /** Forgets finished requests past their retention and zeroes retired key pairs; call about every second. */
    public void sweep() {
        finished.forget(scheduler.nanoTime());
        panReleases.sweep();
        shared.digest.sweep();
    }

    /** Fails what still waits for the cloud (503); the links belong to the caller. */
    public void stop() {
        cloud.stop();
    }

    // ------------------------------------------------------------------ the approval gate

    private void repeat(final Session s, final KeyRequest request) {
        if (s.finalReply != null) {
            pan.keyDelivery(s.entity(), s.finalReply);
        } else if (s.awaitingPne && request.authorization().isPresent()) {
            s.awaitingPne = false;
            LOG.info("R5 forwarding the answer of PNE {} to the CPNS Server", s.entity());
            relay(s, request);
        } else if (s.awaitingPne && s.challenge != null) {
            pan.challenge(s.entity(), s.challenge);
        } else {
            pending(s, "request in progress");
        }
    }

    private void pending(final Session s, final String why) {
        pan.status(s.entity(), codec.encode(StatusReport.pending(s.requestId(), s.entity(), why,
                settings.retryAfterSeconds()), s.span.traceparent()));
    }

    /** The user's approval, asked only for a device the register still admits, and kept only if it still does. */
    private Future<Void> approved(final Session s) {
        return user.devices().checkAdmitted(s.entity()).compose(v -> askUser(s));
    }

    private Future<Void> askUser(final Session s) {
        if (!health.awaitingApproval(settings.maxPendingApprovals())) {
            LOG.warn("Key Request {} of PNE {} refused: {} requests already wait for the user", s.requestId(),
                    s.entity(), settings.maxPendingApprovals());
            return Future.failedFuture(new Refusals.Throttled("too many Key Requests are waiting for the user's"
                    + " decision", settings.retryAfterSeconds() * 5));
        }
        final String fingerprint = user.devices().fingerprint(s.entity()).orElse("unknown");
        final ApprovalRequest ask = new ApprovalRequest(s.requestId(), s.entity(), s.request.proxy(),
                s.request.description(), fingerprint, scheduler.now().plus(settings.approvalTimeout()));
        LOG.info("F3 asking the user to validate the Key Request of PNE {} (certificate {})", s.entity(), fingerprint);
        final HopSpan wait = s.span.child("gateway.approval", HopSpan.Kind.INTERNAL)
                .request(s.entity(), s.requestId());
        final Future<ApprovalDecision> decided = here(user.approval().decide(ask));
        if (!decided.isComplete()) {
            // only when the user really has to decide: a decision by rule costs the PAN no extra message
            pending(s, "awaiting the user's approval");
        }
        return decided.onComplete(x -> {
            health.approvalDecided();
            wait.outcome(x.succeeded() ? x.result().name().toLowerCase(java.util.Locale.ROOT) : "failed",
                    x.succeeded() && x.result() == ApprovalDecision.APPROVED ? Status.OK : Status.FORBIDDEN).end();
        }).compose(decision -> {
            if (decision == ApprovalDecision.APPROVED) {
                s.approvedAt = scheduler.now();
                LOG.info("F3 the user approved PNE {}", s.entity());
                return user.devices().checkAdmitted(s.entity()).compose(v -> journal(s));
            }
            LOG.info("F3 the user did not approve PNE {}: {}", s.entity(), decision);
            return Future.failedFuture(new ProtocolException(Status.FORBIDDEN,
                    decision == ApprovalDecision.DENIED ? "denied by the user" : "not approved in time"));
        });
    }

    /** The outcome of {@code f}, delivered on this service's thread whatever thread completes {@code f}. */
    private <T> Future<T> here(final Future<T> f) {
        if (f.isComplete()) {
            return f;
        }
        final Promise<T> here = Promise.promise();
        f.onComplete(ar -> scheduler.execute(() -> here.handle(ar)));
        return here.future();
    }

    /** Records the approval durably before it is acted on; the request is then resumed after a crash. */
    private Future<Void> journal(final Session s) {
        return shared.journal.map(j -> here(j.approved(s.request)).onSuccess(v -> s.journaled = true))
                .orElseGet(Future::succeededFuture);
    }

    // ------------------------------------------------------------------ proxy (PNE without UI)

    private void startProxy(final Session s) {
        if (!user.devices().mutuallyAuthenticated(s.entity())) {
            // R4: the clear EUKey of a proxied delivery may only travel over a mutually authenticated PAN connection
            LOG.warn("R4 proxy Key Request {} of PNE {} refused: its PAN connection has no client certificate",
                    s.requestId(), s.entity());
            endings.fail(s, new ProtocolException(Status.FORBIDDEN, "proxy Key Request refused: the PAN connection is not"
                    + " mutually authenticated (no client certificate)"));
            return;
        }
        credentialsForProxy(s)
                .compose(creds -> approved(s).map(creds))
                .compose(creds -> {
                    LOG.info("F4 relaying the Key Request of PNE {} to the CPNS Server as proxy for user {}",
                            s.entity(), creds.userId());
                    return signConsent(s, creds.userId()).compose(v -> proxy.run(s, creds));
                })
                .onSuccess(d -> endings.finish(s, d)).onFailure(e -> endings.fail(s, e));
    }

    private Future<UserCredentials> credentialsForProxy(final Session s) {
        final Optional<UserCredentials> current = user.credentials().get();
        if (current.isPresent()) {
            return Future.succeededFuture(current.get());
        }
        if (!settings.promptForCredentials()) {
            return Future.failedFuture(new Refusals.Dropped("no User ID and password configured on the gateway"));
        }
        pending(s, "awaiting the user's credentials");
        return here(user.prompt().ask(settings.realm(), "PNE " + s.entity() + " asks for an EUKey"))
                .compose(given -> given.map(Future::succeededFuture).orElseGet(() -> Future.failedFuture(
                        new ProtocolException(Status.FORBIDDEN, "no credentials given"))));
    }

    // ------------------------------------------------------------------ relay (PNE with UI)

    private void startRelay(final Session s) {
        if (s.request.userId().isEmpty()) {
            endings.fail(s, ProtocolException.badRequest("userId is required when the PNE does not ask for a proxy"));
            return;
        }
        approved(s).onSuccess(v -> {
            LOG.info("F4 relaying the Key Request of PNE {} to the CPNS Server", s.entity());
            signConsent(s, s.request.userId().get()).onSuccess(x -> relay(s, s.request))
                    .onFailure(e -> endings.fail(s, e));
        }).onFailure(e -> endings.fail(s, e));
    }

    /**
     * Signs the receipt of the approval for the user the key will belong to; a request resumed after a restart is
     * signed at its resumption (the journal keeps no approval time). One Ed25519 signature per request.
     */
    private Future<Void> signConsent(final Session s, final UserId user) {
        if (this.user.consent().isEmpty()) {
            s.consent = Optional.empty();
            return Future.succeededFuture();
        }
        final Promise<Void> signed = Promise.promise();
        // an Ed25519 signature per batch of approvals, on the signer's own thread; back on this one after
        this.user.consent().get().sign(s.requestId(), s.entity(), user, this.user.devices().certificateSha256(s.entity()),
                s.approvedAt != null ? s.approvedAt : scheduler.now()).whenComplete((receipt, e) -> scheduler.execute(() -> {
                    if (e != null) {
                        signed.fail(e);
                    } else {
                        s.consent = Optional.of(receipt);
                        signed.complete();
                    }
                }));
        return signed.future();
    }

    /** Sends the PNE's request with the gateway's own consent receipt (never one the PNE put there). */
    private void relay(final Session s, final KeyRequest request) {
        sendRelayed(s, request.withConsent(s.consent), 1).onSuccess(reply -> relayed(s, reply))
                .onFailure(e -> endings.fail(s, e));
    }

    private Future<CloudReplies.CloudReply> sendRelayed(final Session s, final KeyRequest request, final int attempt) {
        return cloud.send(request, s.span).recover(err -> request.authorization().isEmpty()
                && attempt < settings.cloudAttempts() && Refusals.isUnavailable(err)
                ? sendRelayed(s, request, attempt + 1) : Future.failedFuture(err));
    }

    private void relayed(final Session s, final CloudReplies.CloudReply reply) {
        if (reply.message() instanceof Challenge) {
            s.awaitingPne = true;
            s.challenge = reply.raw();
            LOG.info("R5 relaying the server's digest challenge to PNE {}", s.entity());
            pan.challenge(s.entity(), reply.raw());
        } else if (reply.message() instanceof KeyDelivery d && d.delivered() && d.wrappedKey().isEmpty()) {
            // [H] 3: a PNE with UI only ever gets its key wrapped for it; a clear EUKey on the cloud leg was
            // seen by every hop on the way (or planted): never forward it
            d.euKey().ifPresent(SecretBytes::destroy);
            LOG.warn("Key Delivery for PNE {} (with UI) dropped: it carries the EUKey in clear, not wrapped",
                    s.entity());
            endings.fail(s, new ProtocolException(Status.INTERNAL_ERROR, "the server's Key Delivery carried a clear"
                    + " EUKey and was dropped by the gateway"));
        } else if (reply.message() instanceof KeyDelivery d) {
            metrics.keyRequest(d.delivered() ? "delivered" : "refused", d.status());
            LOG.info("R16 forwarding the Key Delivery (status {}) to PNE {} untouched", d.status(), s.entity());
            endings.tell(s, d);
            endings.finishRaw(s, reply.raw());
        } else {
            final StatusReport r = (StatusReport) reply.message();
            endings.fail(s, new ProtocolException(r.status(), r.reason()));
        }
    }
}
