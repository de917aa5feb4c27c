package org.cpnskeys.server.seal;

import java.security.GeneralSecurityException;

import org.cpnskeys.protocol.crypto.SecretBytes;

/** A test seal that hands every call to another one; a subclass changes what it needs to watch or break. */
public class ForwardingSeal implements KeySeal {
    private final KeySeal seal;

    public ForwardingSeal(final KeySeal seal) {
        this.seal = seal;
    }

    @Override
    public int id() {
        return seal.id();
    }

    @Override
    public String describe() {
        return seal.describe();
    }

    @Override
    public boolean blocking() {
        return seal.blocking();
    }

    @Override
    public byte[] seal(final SecretBytes euKey, final KeyBinding binding) {
        return seal.seal(euKey, binding);
    }

    @Override
    public SecretBytes open(final byte[] sealed, final KeyBinding binding) throws GeneralSecurityException {
        return seal.open(sealed, binding);
    }
}
