package org.cpnskeys.server.store;

import java.time.Instant;
import java.util.Objects;

/**
 * Failed authentications recorded for one scope (a user through a gateway, a user, a gateway) in a window that
 * began with the first of them and ends at {@code windowEnd}; a failure after it begins a new window.
 */
public record FailureCount(int failures, Instant windowEnd, Instant lastFailure) {
    /** Nothing recorded. */
    public static final FailureCount NONE = new FailureCount(0, Instant.EPOCH, Instant.EPOCH);

    public FailureCount {
        Objects.requireNonNull(windowEnd, "windowEnd");
        Objects.requireNonNull(lastFailure, "lastFailure");
        if (failures < 0) {
            throw new IllegalArgumentException("failures must not be negative");
        }
    }

    /** The failures that still count at {@code now}: none once the window ended. */
    public int at(final Instant now) {
        return now.isBefore(windowEnd) ? failures : 0;
    }
}
