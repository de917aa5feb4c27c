package org.cpnskeys.gateway.approval;

import io.vertx.core.Future;

import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.cpnskeys.protocol.RequestId;

/**
 * The decisions already taken, so that a retried Key Request (same requestId) gets the same answer. Bounded in
 * time and size: entries older than the retention, or beyond the maximum count, are forgotten oldest first (a
 * request that old is asked again). Thread-safe.
 */
final class DecisionMemory {
    static final Duration DEFAULT_RETENTION = Duration.ofMinutes(30);
    static final int DEFAULT_MAX_ENTRIES = 10_000;

    private record Entry(ApprovalRequest request, ApprovalDecision decision, Instant decidedAt) {
    }

    private final Duration retention;
    private final int maxEntries;
    /** In decision order, so the oldest come first. */
    private final LinkedHashMap<RequestId, Entry> entries = new LinkedHashMap<>();

    DecisionMemory(final Duration retention, final int maxEntries) {
        if (retention == null || retention.isNegative() || retention.isZero()) {
            throw new IllegalArgumentException("decision retention must be positive");
        }
        if (maxEntries < 1) {
            throw new IllegalArgumentException("decision memory must hold at least one entry");
        }
        this.retention = retention;
        this.maxEntries = maxEntries;
    }

    DecisionMemory() {
        this(DEFAULT_RETENTION, DEFAULT_MAX_ENTRIES);
    }

    /**
     * The remembered answer for this request's id: the same decision if it is the same PNE, a failure if the id was
     * used by another one; empty if unknown.
     */
    /**
     * The idempotency rule every approval service follows: the answer already due for this request ID, if any.
     * A request still pending ({@code pendingRequest} non-null) gets its pending answer when it is the same
     * subject, and a failure when the ID is reused for another; a decided one gets its remembered decision.
     */
    Optional<Future<ApprovalDecision>> earlier(final ApprovalRequest request, final ApprovalRequest pendingRequest,
            final Future<ApprovalDecision> pendingAnswer, final Instant now) {
        if (pendingRequest != null) {
            return Optional.of(pendingRequest.sameSubject(request) ? pendingAnswer : reused(request));
        }
        return recall(request, now);
    }

    synchronized Optional<Future<ApprovalDecision>> recall(final ApprovalRequest request, final Instant now) {
        purge(now);
        final Entry e = entries.get(request.requestId());
        if (e == null) {
            return Optional.empty();
        }
        return Optional.of(e.request.sameSubject(request) ? Future.succeededFuture(e.decision) : reused(request));
    }

    synchronized void remember(final ApprovalRequest request, final ApprovalDecision decision, final Instant now) {
        entries.remove(request.requestId());
        entries.put(request.requestId(), new Entry(request, decision, now));
        purge(now);
    }

    synchronized int size() {
        return entries.size();
    }

    static <T> Future<T> reused(final ApprovalRequest request) {
        return Future.failedFuture(new IllegalArgumentException("request id " + request.requestId()
                + " is already used by another Key Request (another PNE, proxy flag or certificate)"));
    }

    private void purge(final Instant now) {
        final Instant oldest = now.minus(retention);
        final Iterator<Map.Entry<RequestId, Entry>> it = entries.entrySet().iterator();
        while (it.hasNext()) {
            final Entry e = it.next().getValue();
            if (entries.size() > maxEntries || e.decidedAt.isBefore(oldest)) {
                it.remove();
            } else {
                break;
            }
        }
    }
}
