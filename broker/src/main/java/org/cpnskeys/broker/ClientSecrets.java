package org.cpnskeys.broker;

/** Checks a broker client's password. Implementations must be thread-safe and must not log the password. */
public interface ClientSecrets {
    /** Whether {@code password} is the secret of {@code name}; false for an unknown name. */
    boolean verify(String name, byte[] password);

    /** Whether {@code name} is registered at all (a client that proves its name by certificate must still be). */
    default boolean knows(final String name) {
        return false;
    }
}
