package org.cpnskeys.server;

import java.util.Optional;

import org.cpnskeys.protocol.ConsentReceipt;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.ConsentSignature;

/**
 * Whether a consent receipt proves the approval of one Key Request: it names that gateway, request, entity and
 * user, and its signature verifies under the gateway's registered consent key. Used by the server before it
 * assigns a key and by {@code cpns keys show} on stored receipts.
 */
public final class ConsentCheck {
    private ConsentCheck() {
    }

    /** What is wrong with the receipt for this request, or empty when it proves the approval. */
    public static Optional<String> problem(final ConsentReceipt r, final GatewayId gateway, final RequestId request,
            final EntityId entity, final UserId user, final byte[] publicKey) {
        if (!r.gatewayId().equals(gateway)) {
            return Optional.of("it is for another gateway (" + r.gatewayId() + ")");
        }
        if (!r.requestId().equals(request) || !r.entityId().equals(entity)) {
            return Optional.of("it is for another request (" + r.entityId() + "/" + r.requestId() + ")");
        }
        if (!r.userId().equals(user)) {
            return Optional.of("it is for another user (" + r.userId() + ")");
        }
        if (!ConsentSignature.verify(r, publicKey)) {
            return Optional.of("its signature does not verify under gateway " + gateway + "'s consent key");
        }
        return Optional.empty();
    }
}
