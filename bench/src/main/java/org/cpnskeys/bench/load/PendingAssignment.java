package org.cpnskeys.bench.load;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;

/**
 * One proxy assignment under way at a simulated PN GW: its attempts, the answers sent (by cnonce), its timer.
 * Guarded by its own monitor, except the thread-safe {@link #done} and {@link #answersByCnonce}.
 */
final class PendingAssignment {
    final EntityId entity;
    final RequestId requestId;
    final CompletableFuture<SimulatedGateways.Outcome> done = new CompletableFuture<>();
    final Map<String, KeyRequest> answersByCnonce = new ConcurrentHashMap<>();
    private final UserId user;
    int attempts;
    String lastNonce;
    ScheduledFuture<?> timer;

    PendingAssignment(final UserId user, final EntityId entity, final RequestId requestId) {
        this.user = user;
        this.entity = entity;
        this.requestId = requestId;
    }

    /** The Key Request without a digest answer, as the gateway sends it first (a challenge follows). */
    KeyRequest plain() {
        return KeyRequest.proxy(requestId, entity, Optional.empty()).withUser(user);
    }
}
