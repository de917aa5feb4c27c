package org.cpnskeys.gateway.approval;

import io.vertx.core.Future;

/**
 * Asks the CPNS User to validate a Key Request before the gateway forwards it (seed step 3 / F3, R7).
 *
 * <p>Contract for implementations:
 * <ul>
 *   <li>the future completes with {@link ApprovalDecision#EXPIRED} once {@code expiresAt} passes without an
 *       answer (a timer, not the next call), and at once when {@code expiresAt} has already passed;</li>
 *   <li>idempotent per {@code requestId}: a second {@code decide} for a request still pending returns the same
 *       future; for a request already decided, a future of the same decision;</li>
 *   <li>a request id already used for another PNE, proxy flag or certificate gets a failed future
 *       ({@link IllegalArgumentException}), never that other request's decision.</li>
 * </ul>
 */
@FunctionalInterface
public interface ApprovalService {
    Future<ApprovalDecision> decide(ApprovalRequest request);
}
