package org.cpnskeys.protocol;

import java.util.Arrays;

/**
 * An EUKey sealed for whoever holds the user's HA1 (see {@code EuKeyWrap}): the algorithm name, the digest
 * nonce and cnonce the key-encryption key was derived from, the GCM IV and the ciphertext with its tag.
 */
public record WrappedKey(String alg, String nonce, String cnonce, byte[] iv, byte[] ciphertext) {
    public WrappedKey {
        if (alg == null || nonce == null || cnonce == null || iv == null || ciphertext == null) {
            throw new IllegalArgumentException("wrapped key incomplete");
        }
        iv = iv.clone();
        ciphertext = ciphertext.clone();
    }

    @Override
    public byte[] iv() {
        return iv.clone();
    }

    @Override
    public byte[] ciphertext() {
        return ciphertext.clone();
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof WrappedKey w && alg.equals(w.alg) && nonce.equals(w.nonce) && cnonce.equals(w.cnonce)
                && Arrays.equals(iv, w.iv) && Arrays.equals(ciphertext, w.ciphertext);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ciphertext);
    }

    @Override
    public String toString() {
        return "WrappedKey[" + alg + ", " + ciphertext.length + " bytes]";
    }
}
