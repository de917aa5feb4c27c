package org.cpnskeys.protocol.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** RFC 5869 Appendix A, test cases 1-3 (the SHA-256 ones), through {@link EuKeyWrap#hkdfSha256}. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class HkdfSha256Test {
    private static final HexFormat HEX = HexFormat.of();

    static Stream<Arguments> rfc5869() {
        return Stream.of(
                // A.1 Test Case 1: basic test case with SHA-256
                Arguments.of("A.1", "0b".repeat(22), "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9", 42,
                        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"),
                // A.2 Test Case 2: longer inputs/outputs
                Arguments.of("A.2", range(0x00, 0x4f), range(0x60, 0xaf), range(0xb0, 0xff), 82,
                        "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
                                + "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
                                + "cc30c58179ec3e87c14c01d5c1f3434f1d87"),
                // A.3 Test Case 3: zero-length salt and info
                Arguments.of("A.3", "0b".repeat(22), "", "", 42,
                        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"));
    }

    private static String range(final int from, final int to) {
        final StringBuilder sb = new StringBuilder();
        for (int i = from; i <= to; i++) {
            sb.append(String.format("%02x", i));
        }
        return sb.toString();
    }

    @ParameterizedTest(name = "RFC 5869 {0}")
    @MethodSource("rfc5869")
    void hkdfSha256_rfc5869Vector_producesPublishedOkm(final String name, final String ikm, final String salt,
            final String info, final int length, final String okm) {
        try (SecretBytes out = EuKeyWrap.hkdfSha256(HEX.parseHex(ikm), HEX.parseHex(salt), HEX.parseHex(info),
                length)) {
            assertEquals(length, out.length());
            assertEquals(okm, HEX.formatHex(out.reveal()));
        }
    }
}
