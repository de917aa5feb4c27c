package org.cpnskeys.protocol.crypto;

import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM with a 96-bit random IV and a 128-bit tag: the only AEAD this project uses. The algorithm,
 * IV and tag sizes are fixed here so that no caller can choose them. One {@link Cipher} per thread (the
 * lookup costs ten times the work of sealing 32 bytes).
 */
public final class AesGcm {
    public static final int KEY_BYTES = 32;
    public static final int IV_BYTES = 12;
    public static final int TAG_BITS = 128;
    private static final ThreadLocal<Cipher> CIPHER = ThreadLocal.withInitial(AesGcm::newCipher);
    private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(SecureRandom::new);

    private AesGcm() {
    }

    /** The result of sealing: a fresh IV and the ciphertext with its tag appended. */
    public record Sealed(byte[] iv, byte[] ciphertext) {
        public Sealed {
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
            return o instanceof Sealed s && Arrays.equals(iv, s.iv) && Arrays.equals(ciphertext, s.ciphertext);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(iv) + Arrays.hashCode(ciphertext);
        }

        @Override
        public String toString() {
            return "Sealed[" + ciphertext.length + " bytes]";
        }
    }

    public static Sealed seal(final SecretBytes key, final byte[] plaintext, final byte[] aad) {
        final byte[] iv = new byte[IV_BYTES];
        RANDOM.get().nextBytes(iv);
        return new Sealed(iv, crypt(Cipher.ENCRYPT_MODE, key, iv, plaintext, aad));
    }

    /** Known-answer use only: seals with the given IV. Never reuse an IV under one key. */
    static byte[] sealWithIvInsecure(final SecretBytes key, final byte[] iv, final byte[] plaintext,
            final byte[] aad) {
        return crypt(Cipher.ENCRYPT_MODE, key, iv, plaintext, aad);
    }

    /** Opens a sealed box; throws {@link AEADBadTagException} when the key, data or AAD do not match. */
    public static byte[] open(final SecretBytes key, final byte[] iv, final byte[] ciphertext, final byte[] aad)
            throws GeneralSecurityException {
        if (iv.length != IV_BYTES) {
            throw new AEADBadTagException("bad IV length");
        }
        if (ciphertext.length < TAG_BITS / 8) {
            throw new AEADBadTagException("ciphertext too short");
        }
        try {
            return crypt(Cipher.DECRYPT_MODE, key, iv, ciphertext, aad);
        } catch (IllegalStateException e) {
            if (e.getCause() instanceof GeneralSecurityException g) {
                throw g;
            }
            throw e;
        }
    }

    private static byte[] crypt(final int mode, final SecretBytes key, final byte[] iv, final byte[] input,
            final byte[] aad) {
        if (key.length() != KEY_BYTES) {
            throw new IllegalArgumentException("AES-256-GCM needs a 32-byte key");
        }
        final byte[] k = key.reveal();
        try {
            final Cipher cipher = CIPHER.get();
            cipher.init(mode, new SecretKeySpec(k, "AES"), new GCMParameterSpec(TAG_BITS, iv));
            if (aad != null) {
                cipher.updateAAD(aad);
            }
            return cipher.doFinal(input);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        } finally {
            Arrays.fill(k, (byte) 0);
        }
    }

    private static Cipher newCipher() {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (NoSuchAlgorithmException | NoSuchPaddingException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        }
    }
}
