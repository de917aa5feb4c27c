package org.cpnskeys.deploy.e2e;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import io.vertx.core.Future;
import io.vertx.core.Promise;

import org.cpnskeys.gateway.approval.ApprovalDecision;
import org.cpnskeys.gateway.approval.ApprovalRequest;
import org.cpnskeys.gateway.approval.ApprovalService;
import org.cpnskeys.protocol.EntityId;

/**
 * The user, played by a test: records every approval request the gateway shows, approves by default,
 * denies entities named {@code deny-*}, and leaves entities named {@code hold-*} pending until the test
 * decides (or the gateway's approval timeout expires them).
 */
final class ScriptedApproval implements ApprovalService {
    final List<ApprovalRequest> asked = new CopyOnWriteArrayList<>();
    private final Map<EntityId, Promise<ApprovalDecision>> held = new ConcurrentHashMap<>();

    @Override
    public Future<ApprovalDecision> decide(final ApprovalRequest request) {
        asked.add(request);
        final String name = request.entityId().value();
        if (name.startsWith("deny-")) {
            return Future.succeededFuture(ApprovalDecision.DENIED);
        }
        if (name.startsWith("hold-")) {
            final Promise<ApprovalDecision> p = held.computeIfAbsent(request.entityId(), e -> Promise.promise());
            final long ms = Math.max(1, request.expiresAt().toEpochMilli() - System.currentTimeMillis());
            final java.util.Timer timer = new java.util.Timer(true);
            timer.schedule(new java.util.TimerTask() {
                @Override
                public void run() {
                    p.tryComplete(ApprovalDecision.EXPIRED);
                }
            }, ms);
            return p.future();
        }
        return Future.succeededFuture(ApprovalDecision.APPROVED);
    }

    /** The test, as the user, decides on a held request. */
    void decide(final EntityId entity, final ApprovalDecision decision) {
        held.computeIfAbsent(entity, e -> Promise.promise()).tryComplete(decision);
    }

    boolean wasAsked(final EntityId entity) {
        return asked.stream().anyMatch(r -> r.entityId().equals(entity));
    }
}
