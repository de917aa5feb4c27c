package org.cpnskeys.server.store;

import java.util.Objects;

/**
 * The failures that judge an attempt of one user through one gateway, as the store holds them: the pair's own,
 * the user's through every gateway, and the gateway's for every user.
 */
public record FailureStanding(FailureCount pair, FailureCount user, FailureCount gateway) {
    /** Nothing recorded. */
    public static final FailureStanding NONE = new FailureStanding(FailureCount.NONE, FailureCount.NONE,
            FailureCount.NONE);

    public FailureStanding {
        Objects.requireNonNull(pair, "pair");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(gateway, "gateway");
    }
}
