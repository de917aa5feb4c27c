package org.cpnskeys.protocol.crypto;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;

import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * The key check value of an AES key: the first three bytes of AES-ECB(key, zero block), in hex. It lets two
 * parties (or a test) confirm they hold the same key without revealing it.
 */
public final class KeyCheckValue {
    /** One cipher per thread: the provider lookup costs far more than the one block encrypted. */
    private static final ThreadLocal<Cipher> ECB = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/ECB/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES unavailable", e);
        }
    });

    private KeyCheckValue() {
    }

    public static String of(final SecretBytes key) {
        final byte[] k = key.reveal();
        try {
            final Cipher ecb = ECB.get();
            ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(k, "AES"));
            final byte[] block = ecb.doFinal(new byte[16]);
            return HexFormat.of().formatHex(block, 0, 3);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        } finally {
            Arrays.fill(k, (byte) 0);
        }
    }
}
