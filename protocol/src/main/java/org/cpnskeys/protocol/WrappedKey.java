package org.cpnskeys.protocol;

import java.util.Arrays;

import org.cpnskeys.protocol.crypto.X25519PublicKey;

/**
 * An EUKey sealed for whoever holds the user's HA1 and the Key Request's ephemeral private key (see
 * {@code EuKeyWrap}): the algorithm name, the digest nonce and cnonce the key-encryption key was derived from,
 * the server's ephemeral X25519 public key, the GCM IV and the ciphertext with its tag.
 */
public record WrappedKey(String alg, String nonce, String cnonce, X25519PublicKey epk, byte[] iv,
        byte[] ciphertext) {
    public WrappedKey {
        if (alg == null || nonce == null || cnonce == null || epk == null || iv == null || ciphertext == null) {
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
                && epk.equals(w.epk) && Arrays.equals(iv, w.iv) && Arrays.equals(ciphertext, w.ciphertext);
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
