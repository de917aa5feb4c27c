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
    Admission ANY = new Admission() {
        @Override
        public Optional<Duration> refusal(final FailureStanding standing) {
            return Optional.empty();
        }

        @Override
        public boolean admitsWithoutFailures() {
            return true;
        }
    };

    /** How long the attempt must wait, or empty to admit it. */
    Optional<Duration> refusal(FailureStanding standing);

    /**
     * Whether every attempt is admitted when no failure at all is recorded for its user through its gateway, its
     * user and its gateway ({@link FailureStanding#NONE}, whatever the time): the store may then admit such an
     * attempt without calling {@link #refusal} (it calls it whenever a failure is recorded). {@code false}: the
     * store asks in every case.
     */
    default boolean admitsWithoutFailures() {
        return false;
    }
}
