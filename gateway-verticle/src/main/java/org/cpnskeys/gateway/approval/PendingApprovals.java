package org.cpnskeys.gateway.approval;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

import org.cpnskeys.protocol.RequestId;

/**
 * The bookkeeping every approval service that waits for a person shares ({@link ConsoleApproval},
 * {@link PageApproval}): the pending requests by request id in arrival order, the same answer for a retried
 * request ({@link DecisionMemory}), {@link ApprovalDecision#EXPIRED} on arrival when already past
 * {@code expiresAt} and otherwise by a Vert.x timer at {@code expiresAt}, each future completed on the Vert.x
 * context of the first caller of {@link #decide} for it, and on {@link #close} every pending request failed (the
 * PNE retries later; nobody said no). The owner's {@link Owner} hooks run under this object's lock, in order, so
 * what the owner keeps beside a pending request (a number on screen, a history) changes in step with it; then,
 * outside the lock, {@link Owner#changed()}. Thread-safe.
 *
 * @param <T> what the owner keeps per pending request
 */
final class PendingApprovals<T> {
    /** What the owner does as requests come and go; called under the lock. */
    interface Owner<T> {
        /** {@code request} is now pending (shown to the user); returns what the owner keeps for it. */
        T pending(ApprovalRequest request, Instant now);

        /** A pending request got its decision (the user's, or {@link ApprovalDecision#EXPIRED} from its timer). */
        void decided(ApprovalRequest request, T kept, ApprovalDecision decision, Instant now);

        /** {@code request} arrived after its {@code expiresAt}: answered {@link ApprovalDecision#EXPIRED}, never pending. */
        default void expiredOnArrival(final ApprovalRequest request, final Instant now) {
        }

        /**
         * After each change, outside the lock, on the thread that made it: a request became pending, was decided
         * (also by its timer), expired on arrival, or everything was closed.
         */
        default void changed() {
        }
    }

    /** A pending request and what its owner keeps for it. */
    static final class Entry<T> {
        private final ApprovalRequest request;
        private final T kept;
        private final Context context;
        private final Promise<ApprovalDecision> promise = Promise.promise();
        private long timerId;

        private Entry(final ApprovalRequest request, final T kept, final Context context) {
            this.request = request;
            this.kept = kept;
            this.context = context;
        }

        ApprovalRequest request() {
            return request;
        }

        T kept() {
            return kept;
        }
    }

    private final Vertx vertx;
    private final Owner<T> owner;
    private final String closedMessage;
    private final Object lock = new Object();
    /** By request id, oldest first. Guarded by {@link #lock}. */
    private final Map<RequestId, Entry<T>> pending = new LinkedHashMap<>();
    private final DecisionMemory decided = new DecisionMemory();
    private boolean closed;

    /** {@code closedMessage}: the failure of a request pending at {@link #close} or decided after it. */
    PendingApprovals(final Vertx vertx, final Owner<T> owner, final String closedMessage) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.owner = Objects.requireNonNull(owner, "owner");
        this.closedMessage = closedMessage;
    }

    /** The decision for {@code request}: an earlier one for the same request id, EXPIRED, or the user's once given. */
    Future<ApprovalDecision> decide(final ApprovalRequest request) {
        Objects.requireNonNull(request, "request");
        final Instant now = Instant.now();
        final Future<ApprovalDecision> answer;
        synchronized (lock) {
            if (closed) {
                return Future.failedFuture(new IllegalStateException(closedMessage));
            }
            final Entry<T> same = pending.get(request.requestId());
            final Optional<Future<ApprovalDecision>> known = decided.earlier(request,
                    same == null ? null : same.request, same == null ? null : same.promise.future(), now);
            if (known.isPresent()) {
                return known.get();
            }
            if (!now.isBefore(request.expiresAt())) {
                decided.remember(request, ApprovalDecision.EXPIRED, now);
                owner.expiredOnArrival(request, now);
                answer = Future.succeededFuture(ApprovalDecision.EXPIRED);
            } else {
                final Entry<T> e = new Entry<>(request, owner.pending(request, now), vertx.getOrCreateContext());
                pending.put(request.requestId(), e);
                final long delay = Math.max(1, Duration.between(now, request.expiresAt()).toMillis());
                e.timerId = vertx.setTimer(delay, id -> answer(request.requestId(), ApprovalDecision.EXPIRED));
                answer = e.promise.future();
            }
        }
        owner.changed();
        return answer;
    }

    /** Gives a pending request its decision (completed on its context); false when it is no longer pending. */
    boolean answer(final RequestId id, final ApprovalDecision decision) {
        Objects.requireNonNull(decision, "decision");
        final Entry<T> e;
        synchronized (lock) {
            e = pending.remove(id);
            if (e == null) {
                return false;
            }
            vertx.cancelTimer(e.timerId);
            final Instant now = Instant.now();
            decided.remember(e.request, decision, now);
            owner.decided(e.request, e.kept, decision, now);
        }
        e.context.runOnContext(v -> e.promise.tryComplete(decision));
        owner.changed();
        return true;
    }

    /** The pending requests, oldest first. */
    List<ApprovalRequest> requests() {
        return inspect(entries -> {
            final List<ApprovalRequest> list = new ArrayList<>(entries.size());
            entries.forEach(e -> list.add(e.request));
            return list;
        });
    }

    /** Runs {@code reader} under the lock on the pending entries (oldest first, read-only) and returns its result. */
    <R> R inspect(final Function<Collection<Entry<T>>, R> reader) {
        synchronized (lock) {
            return reader.apply(Collections.unmodifiableCollection(pending.values()));
        }
    }

    boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    /** Fails every pending request and every later {@link #decide}. */
    void close() {
        final List<Entry<T>> dropped;
        synchronized (lock) {
            closed = true;
            dropped = new ArrayList<>(pending.values());
            pending.clear();
        }
        for (final Entry<T> e : dropped) {
            vertx.cancelTimer(e.timerId);
            e.context.runOnContext(v -> e.promise.tryFail(new IllegalStateException(closedMessage)));
        }
        owner.changed();
    }
}
