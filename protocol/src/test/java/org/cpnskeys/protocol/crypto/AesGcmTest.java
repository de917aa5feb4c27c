package org.cpnskeys.protocol.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

import javax.crypto.AEADBadTagException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Known answer: McGrew and Viega, "The Galois/Counter Mode of Operation (GCM)" (revised, 2005), Appendix B,
 * Test Case 16: AES-256, 96-bit IV, 60-byte plaintext, 20-byte AAD.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class AesGcmTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] K = HEX.parseHex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
    private static final byte[] P = HEX.parseHex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
            + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
    private static final byte[] A = HEX.parseHex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    private static final byte[] IV = HEX.parseHex("cafebabefacedbaddecaf888");
    private static final String C = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
            + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";
    private static final String T = "76fc6ece0f4e1768cddf8853bb2d551b";

    @Test
    void sealWithIvInsecure_gcmTestCase16_producesPublishedCiphertextAndTag() {
        assertEquals(C + T, HEX.formatHex(AesGcm.sealWithIvInsecure(SecretBytes.copyOf(K), IV, P, A)));
    }

    @Test
    void open_gcmTestCase16_returnsPublishedPlaintext() throws GeneralSecurityException {
        assertArrayEquals(P, AesGcm.open(SecretBytes.copyOf(K), IV, HEX.parseHex(C + T), A));
    }

    @ParameterizedTest(name = "bit flipped in byte {0} of ciphertext||tag")
    @ValueSource(ints = {0, 30, 59, 60, 75})
    void open_flippedBitInCiphertextOrTag_fails(final int index) {
        final byte[] ct = HEX.parseHex(C + T);
        ct[index] ^= 0x01;
        assertThrows(AEADBadTagException.class, () -> AesGcm.open(SecretBytes.copyOf(K), IV, ct, A));
    }

    @Test
    void open_flippedBitInAad_fails() {
        final byte[] aad = A.clone();
        aad[0] ^= (byte) 0x80;
        assertThrows(AEADBadTagException.class,
                () -> AesGcm.open(SecretBytes.copyOf(K), IV, HEX.parseHex(C + T), aad));
    }

    @Test
    void open_flippedBitInIvOrMissingAad_fails() {
        final byte[] iv = IV.clone();
        iv[11] ^= 0x01;
        assertThrows(AEADBadTagException.class,
                () -> AesGcm.open(SecretBytes.copyOf(K), iv, HEX.parseHex(C + T), A));
        assertThrows(AEADBadTagException.class,
                () -> AesGcm.open(SecretBytes.copyOf(K), IV, HEX.parseHex(C + T), null));
    }

    @Test
    void open_wrongIvLengthOrShortCiphertext_failsAsBadTag() {
        assertThrows(AEADBadTagException.class,
                () -> AesGcm.open(SecretBytes.copyOf(K), new byte[16], HEX.parseHex(C + T), A));
        assertThrows(AEADBadTagException.class,
                () -> AesGcm.open(SecretBytes.copyOf(K), IV, new byte[15], A));
    }

    @Test
    void seal_sameInputsTwice_usesFreshIvsAndOpens() throws GeneralSecurityException {
        final SecretBytes key = SecretBytes.copyOf(K);
        final AesGcm.Sealed a = AesGcm.seal(key, P, A);
        final AesGcm.Sealed b = AesGcm.seal(key, P, A);
        assertEquals(AesGcm.IV_BYTES, a.iv().length);
        assertEquals(P.length + AesGcm.TAG_BITS / 8, a.ciphertext().length);
        assertFalse(Arrays.equals(a.iv(), b.iv()));
        assertArrayEquals(P, AesGcm.open(key, a.iv(), a.ciphertext(), A));
    }

    @Test
    void seal_keyNot32Bytes_throws() {
        assertThrows(IllegalArgumentException.class, () -> AesGcm.seal(SecretBytes.copyOf(new byte[16]), P, A));
    }
}
