package org.cpnskeys.gateway;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.RequestId;

/**
 * Told how each Key Request ended at the gateway, so that the user can see it (the approval page's history).
 * Called on the gateway verticle's event loop: implementations must not block. Never given key material.
 */
@FunctionalInterface
public interface KeyRequestOutcomes {
    /** Does nothing. */
    KeyRequestOutcomes NOOP = (entity, requestId, status, reason) -> {
    };

    /**
     * @param status the final status sent to the PNE (200 delivered, 401, 403, 409, 503...), or {@code 0} when the
     *        request was dropped without an answer (R6)
     * @param reason a short reason safe to show (never a secret)
     */
    void finished(EntityId entity, RequestId requestId, int status, String reason);
}
