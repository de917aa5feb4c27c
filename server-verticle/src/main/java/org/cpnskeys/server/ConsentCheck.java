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
        return problem(r, gateway, request, entity, user, publicKey, null);
    }

    /**
     * {@link #problem}, the signature checked by {@code verifier} (which remembers the batch signatures it found
     * good: a batch's receipts cost one Ed25519 verification between them); null: checked alone.
     */
    public static Optional<String> problem(final ConsentReceipt r, final GatewayId gateway, final RequestId request,
            final EntityId entity, final UserId user, final byte[] publicKey, final ConsentSignature.Verifier verifier) {
        if (!r.gatewayId().equals(gateway)) {
            return Optional.of("it is for another gateway (" + r.gatewayId() + ")");
        }
        if (!r.requestId().equals(request) || !r.entityId().equals(entity)) {
            return Optional.of("it is for another request (" + r.entityId() + "/" + r.requestId() + ")");
        }
        if (!r.userId().equals(user)) {
            return Optional.of("it is for another user (" + r.userId() + ")");
        }
        if (!(verifier != null ? verifier.verify(r, publicKey) : ConsentSignature.verify(r, publicKey))) {
            return Optional.of("its signature does not verify under gateway " + gateway + "'s consent key");
        }
        return Optional.empty();
    }
}
