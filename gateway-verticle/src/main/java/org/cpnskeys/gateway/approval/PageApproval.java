package org.cpnskeys.gateway.approval;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.cpnskeys.gateway.KeyRequestOutcomes;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.RequestId;

/**
 * The CPNS User validates Key Requests on the gateway's web page (seed step 3 / F3, R7). This class holds what
 * the page shows and completes the decisions; the page itself ({@code org.cpnskeys.gateway.web}) only renders
 * and forwards clicks.
 *
 * <p>Same contract as every {@link ApprovalService}: idempotent per request id, {@link ApprovalDecision#EXPIRED} by a
 * Vert.x timer at {@code expiresAt}. It also keeps a short history of decisions with how each request then ended
 * (it is the gateway's {@link KeyRequestOutcomes}), and tells listeners of every change so the page can push it.
 * Thread-safe; each future completes on the Vert.x context of the first caller of {@link #decide} for it.
 */
public final class PageApproval implements ApprovalService, KeyRequestOutcomes, AutoCloseable {
    /** How many decisions the history keeps, newest first. */
    public static final int HISTORY_SIZE = 50;

    /** A decision, and how the Key Request ended afterwards (once known). */
    public static final class Decided {
        private final ApprovalRequest request;
        private final ApprovalDecision decision;
        private final Instant decidedAt;
        private volatile Optional<Outcome> outcome = Optional.empty();

        Decided(final ApprovalRequest request, final ApprovalDecision decision, final Instant decidedAt) {
            this.request = request;
            this.decision = decision;
            this.decidedAt = decidedAt;
        }

        public ApprovalRequest request() {
            return request;
        }

        public ApprovalDecision decision() {
            return decision;
        }

        public Instant decidedAt() {
            return decidedAt;
        }

        public Optional<Outcome> outcome() {
            return outcome;
        }
    }

    /** How a Key Request ended at the gateway: the status the PNE got (0 = dropped) and a reason safe to show. */
    public record Outcome(int status, String reason) {
    }

    private static final class Pending {
        final ApprovalRequest request;
        final Context context;
        final Promise<ApprovalDecision> promise = Promise.promise();
        long timerId;

        Pending(final ApprovalRequest request, final Context context) {
            this.request = request;
            this.context = context;
        }
    }

    private final Vertx vertx;
    private final Object lock = new Object();
    /** By request id, oldest first. Guarded by {@link #lock}. */
    private final Map<RequestId, Pending> pending = new LinkedHashMap<>();
    /** Newest first. Guarded by {@link #lock}. */
    private final Deque<Decided> history = new ArrayDeque<>();
    private final DecisionMemory decided = new DecisionMemory();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private boolean closed;

    public PageApproval(final Vertx vertx) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
    }

    @Override
    public Future<ApprovalDecision> decide(final ApprovalRequest request) {
        Objects.requireNonNull(request, "request");
        final Instant now = Instant.now();
        final Future<ApprovalDecision> answer;
        synchronized (lock) {
            if (closed) {
                return Future.failedFuture(new IllegalStateException("the approval page is closed"));
            }
            final Pending same = pending.get(request.requestId());
            final Optional<Future<ApprovalDecision>> known = decided.earlier(request,
                    same == null ? null : same.request, same == null ? null : same.promise.future(), now);
            if (known.isPresent()) {
                return known.get();
            }
            if (!now.isBefore(request.expiresAt())) {
                record(request, ApprovalDecision.EXPIRED, now);
                answer = Future.succeededFuture(ApprovalDecision.EXPIRED);
            } else {
                final Pending p = new Pending(request, vertx.getOrCreateContext());
                pending.put(request.requestId(), p);
                final long delay = Math.max(1, Duration.between(now, request.expiresAt()).toMillis());
                p.timerId = vertx.setTimer(delay, id -> answer(p.request.requestId(), ApprovalDecision.EXPIRED));
                answer = p.promise.future();
            }
        }
        changed();
        return answer;
    }

    /**
     * The user's (or the timer's) answer to a pending request. Returns false when it is no longer pending (already
     * answered, or expired): the page then tells the user so.
     */
    public boolean answer(final RequestId id, final ApprovalDecision decision) {
        Objects.requireNonNull(decision, "decision");
        final Pending p;
        synchronized (lock) {
            p = pending.remove(id);
            if (p == null) {
                return false;
            }
            vertx.cancelTimer(p.timerId);
            record(p.request, decision, Instant.now());
        }
        p.context.runOnContext(v -> p.promise.tryComplete(decision));
        changed();
        return true;
    }

    @Override
    public void finished(final EntityId entity, final RequestId requestId, final int status, final String reason) {
        boolean found = false;
        synchronized (lock) {
            for (final Decided d : history) {
                if (d.request.requestId().equals(requestId) && d.request.entityId().equals(entity)) {
                    d.outcome = Optional.of(new Outcome(status, reason == null ? "" : reason));
                    found = true;
                    break;
                }
            }
        }
        if (found) {
            changed();
        }
    }

    /** The requests waiting for the user, oldest first. */
    public List<ApprovalRequest> pending() {
        synchronized (lock) {
            final List<ApprovalRequest> list = new ArrayList<>(pending.size());
            pending.values().forEach(p -> list.add(p.request));
            return list;
        }
    }

    /** The recent decisions, newest first (at most {@link #HISTORY_SIZE}). */
    public List<Decided> history() {
        synchronized (lock) {
            return new ArrayList<>(history);
        }
    }

    /**
     * Calls {@code listener} after every change (a new request, a decision, an outcome), on whatever thread made
     * the change: hop to your own context. Returns the action that removes the listener.
     */
    public Runnable onChange(final Runnable listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** Stops: pending requests fail (the PNE retries later; nobody said no) and later decides fail. */
    @Override
    public void close() {
        final List<Pending> dropped;
        synchronized (lock) {
            closed = true;
            dropped = new ArrayList<>(pending.values());
            pending.clear();
        }
        for (final Pending p : dropped) {
            vertx.cancelTimer(p.timerId);
            p.context.runOnContext(v -> p.promise.tryFail(new IllegalStateException("the approval page is closed")));
        }
        changed();
    }

    /** Guarded by {@link #lock}. */
    private void record(final ApprovalRequest request, final ApprovalDecision decision, final Instant now) {
        decided.remember(request, decision, now);
        history.addFirst(new Decided(request, decision, now));
        while (history.size() > HISTORY_SIZE) {
            history.removeLast();
        }
    }

    private void changed() {
        for (final Runnable l : listeners) {
            try {
                l.run();
            } catch (RuntimeException e) {
                // a broken listener must not stop the decision
            }
        }
    }
}
