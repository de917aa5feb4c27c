package org.cpnskeys.gateway.approval;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
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
 * Vert.x timer at {@code expiresAt} (the bookkeeping is {@link PendingApprovals}). It also keeps a short history of decisions with how each request then ended
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

    private final Object lock = new Object();
    /** Newest first. Guarded by {@link #lock}. */
    private final Deque<Decided> history = new ArrayDeque<>();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final PendingApprovals<Void> approvals;

    public PageApproval(final Vertx vertx) {
        this.approvals = new PendingApprovals<>(Objects.requireNonNull(vertx, "vertx"), new PendingApprovals.Owner<>() {
            @Override
            public Void pending(final ApprovalRequest request, final Instant now) {
                return null;
            }

            @Override
            public void decided(final ApprovalRequest request, final Void kept, final ApprovalDecision decision,
                    final Instant now) {
                record(request, decision, now);
            }

            @Override
            public void expiredOnArrival(final ApprovalRequest request, final Instant now) {
                record(request, ApprovalDecision.EXPIRED, now);
            }

            @Override
            public void changed() {
                PageApproval.this.changed();
            }
        }, "the approval page is closed");
    }

    @Override
    public Future<ApprovalDecision> decide(final ApprovalRequest request) {
        return approvals.decide(request);
    }

    /**
     * The user's (or the timer's) answer to a pending request. Returns false when it is no longer pending (already
     * answered, or expired): the page then tells the user so.
     */
    public boolean answer(final RequestId id, final ApprovalDecision decision) {
        return approvals.answer(id, decision);
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
        return approvals.requests();
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
        approvals.close();
    }

    /** Adds a decision to the history (called under the pending requests' lock, in decision order). */
    private void record(final ApprovalRequest request, final ApprovalDecision decision, final Instant now) {
        synchronized (lock) {
            history.addFirst(new Decided(request, decision, now));
            while (history.size() > HISTORY_SIZE) {
                history.removeLast();
            }
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
