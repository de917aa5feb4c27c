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
    private KeyCheckValue() {
    }

    public static String of(final SecretBytes key) {
        final byte[] k = key.reveal();
        try {
            final Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
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
