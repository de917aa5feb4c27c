package org.cpnskeys.server.store;

/**
 * The state of a stored EUKey: at most one per entity is {@link #ACTIVE}. The entity belongs to the user of its
 * latest key unless that key is {@link #RELEASED}.
 */
public enum KeyState {
    /** The entity's current key. */
    ACTIVE,
    /** Replaced by a later key of the same user. */
    SUPERSEDED,
    /** Withdrawn by an operator; the entity still belongs to its user, whose next Key Request gets a new key. */
    REVOKED,
    /** Given up by an operator: the key is withdrawn and the entity is free for any user to claim. */
    RELEASED
}
