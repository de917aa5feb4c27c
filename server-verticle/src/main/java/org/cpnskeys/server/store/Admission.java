package org.cpnskeys.server.store;

import java.time.Duration;
import java.util.Optional;

/**
 * Decides, from the failures the store holds when it assigns, whether an authenticated attempt may have its key:
 * the store asks in the assignment's own transaction, so what another server recorded counts, with no extra
 * round trip. Called on the store's thread; must be quick and thread-safe.
 */
@FunctionalInterface
public interface Admission {
    /** Admits every attempt (for keys not assigned through the lockout: tests, preloading). */
    Admission ANY = standing -> Optional.empty();

    /** How long the attempt must wait, or empty to admit it. */
    Optional<Duration> refusal(FailureStanding standing);
}
