package org.cpnskeys.protocol.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The KCV is the first three bytes of AES-ECB(key, zero block). Expected values are the first three bytes of
 * published AES-256 known answers whose plaintext is the zero block: NIST "The Advanced Encryption Standard
 * Algorithm Validation Suite (AESAVS)", 2002, Appendix B.3 (KeySbox, 256-bit keys) and Appendix D.3 (VarKey,
 * 256-bit keys).
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class KeyCheckValueTest {
    @ParameterizedTest(name = "key {0} -> ciphertext {1}")
    @CsvSource({
        // AESAVS B.3 KeySbox256, first entry
        "c47b0294dbbbee0fec4757f22ffeee3587ca4730c3d33b691df38bab076bc558, 46f2fb342d6f0ab477476fc501242c5f",
        // AESAVS D.3 VarKey256, first entry (key = 1 followed by 255 zero bits)
        "8000000000000000000000000000000000000000000000000000000000000000, e35a6dcb19b201a01ebcfa8aa22b5759",
    })
    void of_publishedAes256ZeroBlockVector_isFirstThreeCiphertextBytes(final String key, final String ciphertext) {
        assertEquals(ciphertext.substring(0, 6), KeyCheckValue.of(SecretBytes.copyOf(HexFormat.of().parseHex(key))));
    }
}
