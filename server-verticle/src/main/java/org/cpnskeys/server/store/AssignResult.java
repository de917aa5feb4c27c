package org.cpnskeys.server.store;

import java.util.Objects;

/** The outcome of {@link EuKeyRepository#assign(NewKey)}. */
public sealed interface AssignResult {

    /**
     * Whether the request now holds a key of {@code user}: one it created, or one it got before for the same user
     * (a retry). Only then is its consent receipt kept with the key.
     */
    default boolean isKeyOf(final org.cpnskeys.protocol.UserId user) {
        return this instanceof Created || this instanceof Existing x && x.key().userId().equals(user);
    }

    /** The key was stored; it is the entity's active key. */
    record Created(StoredKey key) implements AssignResult {
        public Created {
            Objects.requireNonNull(key, "key");
        }
    }

    /**
     * The entity and request ID were assigned before (a retry): the key stored then, never a second one. Its
     * state may be {@link KeyState#SUPERSEDED} if the same user rotated the key since.
     */
    record Existing(StoredKey key) implements AssignResult {
        public Existing {
            Objects.requireNonNull(key, "key");
        }
    }

    /** The entity's key belongs to another user (answer 409; the owner is not revealed). Nothing was stored. */
    record Conflict() implements AssignResult {
    }

    /** The digest answer's (nonce, nc) pair was used before: a replay. Nothing was stored, no failure reset. */
    record Replayed() implements AssignResult {
    }

    /**
     * The failures recorded for the user and gateway refuse the attempt for {@code retryAfter}: no key was stored,
     * but the (nonce, nc) pair is used up.
     */
    record Refused(java.time.Duration retryAfter) implements AssignResult {
        public Refused {
            Objects.requireNonNull(retryAfter, "retryAfter");
        }
    }
}
