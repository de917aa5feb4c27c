package org.cpnskeys.protocol;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * An interim or unattributable status: {@code 202} with {@code retryAfter} while the user decides, or
 * {@code 400} for a message so malformed that no Key Delivery can name its request.
 */
public record StatusReport(Optional<RequestId> requestId, Optional<EntityId> entityId, int status, String reason,
        OptionalInt retryAfter) implements CpnsMessage {
    public static final String TYPE = "status";

    public StatusReport {
        if (requestId == null || entityId == null || reason == null || retryAfter == null) {
            throw new IllegalArgumentException("status report incomplete");
        }
        if (!Status.isKnown(status)) {
            throw new IllegalArgumentException("unknown status " + status);
        }
    }

    public static StatusReport pending(final RequestId requestId, final EntityId entityId, final String reason,
            final int retryAfterSeconds) {
        return new StatusReport(Optional.of(requestId), Optional.of(entityId), Status.PENDING, reason,
                OptionalInt.of(retryAfterSeconds));
    }

    public static StatusReport of(final Optional<RequestId> requestId, final Optional<EntityId> entityId,
            final int status, final String reason) {
        return new StatusReport(requestId, entityId, status, reason, OptionalInt.empty());
    }

    @Override
    public String type() {
        return TYPE;
    }
}
