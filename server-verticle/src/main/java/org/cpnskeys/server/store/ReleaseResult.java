package org.cpnskeys.server.store;

import java.time.Duration;
import java.util.Objects;

/** The outcome of {@link EuKeyRepository#releaseByOwner}. */
public sealed interface ReleaseResult {

    /** The entity's latest key was the user's and is now {@link KeyState#RELEASED}. */
    record Released(KeyInfo key) implements ReleaseResult {
        public Released {
            Objects.requireNonNull(key, "key");
        }
    }

    /** The entity belongs to another user (answer 409, as for a Key Request; the owner is not revealed). */
    record NotOwner() implements ReleaseResult {
    }

    /** The entity has no key that binds it to anybody (none at all, or its latest is released already). */
    record NoKey() implements ReleaseResult {
    }

    /** The digest answer's (nonce, nc) pair was used before (by a Key Request or a release): nothing changed. */
    record Replayed() implements ReleaseResult {
    }

    /** The failures recorded for the user and gateway refuse the attempt; the (nonce, nc) pair is used up. */
    record Refused(Duration retryAfter) implements ReleaseResult {
        public Refused {
            Objects.requireNonNull(retryAfter, "retryAfter");
        }
    }
}
