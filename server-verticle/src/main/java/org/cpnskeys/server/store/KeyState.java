package org.cpnskeys.server.store;

/** The state of a stored EUKey: at most one per entity is {@link #ACTIVE}. */
public enum KeyState {
    /** The entity's current key. */
    ACTIVE,
    /** Replaced by a later key of the same user. */
    SUPERSEDED
}
