package org.cpnskeys.server.seal;

import java.security.GeneralSecurityException;

import org.cpnskeys.protocol.crypto.SecretBytes;

/**
 * One way to seal stored EUKeys: an algorithm, a key and the associated data that binds a key to its row. Each
 * stored row records the {@link #id()} of the seal it was sealed with, so the store can hold keys of several seals
 * while {@link StoredKeyResealer} moves them from one to another. Ids are never reused: 1 and 2 are
 * {@link MasterKeySeal}'s, 3 is {@link Pkcs11Seal}'s (the key in a PKCS#11 token); a new seal takes a new one.
 */
public interface KeySeal {

    /** The id stored with every row sealed by this seal. */
    int id();

    /** What this seal is, for logs (never key material). */
    String describe();

    /**
     * Whether {@link #seal} and {@link #open} block (they call a device, such as a PKCS#11 token): then they run on
     * a worker thread, never an event loop. A seal computed in memory answers false (the default).
     */
    default boolean blocking() {
        return false;
    }

    /** Seals {@code euKey} bound to {@code binding}. */
    byte[] seal(SecretBytes euKey, KeyBinding binding);

    /** Opens what {@link #seal} made for the same binding; fails if the bytes or the binding differ. */
    SecretBytes open(byte[] sealed, KeyBinding binding) throws GeneralSecurityException;
}
