package org.cpnskeys.gateway.approval;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.RequestId;

/**
 * A PNE's Key Request as the user is asked to validate it (seed step 3 / F3, R7).
 *
 * @param requestId the requester's id; approval services are idempotent on it
 * @param entityId the PNE (the CN of its PAN client certificate)
 * @param proxy whether the PNE asks the gateway to act as its proxy
 * @param description what the device says about itself: untrusted text, shown with control characters removed
 * @param certificateFingerprint the short fingerprint of the PNE's PAN certificate, for the user to compare
 * @param expiresAt when an unanswered request becomes {@link ApprovalDecision#EXPIRED}
 */
public record ApprovalRequest(RequestId requestId, EntityId entityId, boolean proxy, Optional<String> description,
        String certificateFingerprint, Instant expiresAt) {
    public ApprovalRequest {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(entityId, "entityId");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(certificateFingerprint, "certificateFingerprint");
        Objects.requireNonNull(expiresAt, "expiresAt");
    }

    /** Whether this request and {@code other} describe the same PNE and certificate (a retry, not another device). */
    boolean sameSubject(final ApprovalRequest other) {
        return entityId.equals(other.entityId) && proxy == other.proxy
                && certificateFingerprint.equals(other.certificateFingerprint);
    }
}
