package org.cpnskeys.protocol.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** X25519 against RFC 7748's published vectors, and the strict wire form of its public keys. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class X25519Test {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void keyPairsAndAgreement_rfc7748Section61_matchPublishedVectors() throws GeneralSecurityException {
        try (X25519.EphemeralKeyPair alice = X25519.fromPrivate(
                HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
                X25519.EphemeralKeyPair bob = X25519.fromPrivate(
                        HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))) {
            assertEquals("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
                    HEX.formatHex(alice.publicKey().bytes()));
            assertEquals("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
                    HEX.formatHex(bob.publicKey().bytes()));
            try (SecretBytes k1 = alice.agree(bob.publicKey()); SecretBytes k2 = bob.agree(alice.publicKey())) {
                assertEquals("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
                        HEX.formatHex(k1.reveal()));
                assertTrue(k1.equalsSecret(k2));
            }
        }
    }

    @Test
    void agree_rfc7748Section52_scalarTimesPointVectors() throws GeneralSecurityException {
        // RFC 7748 section 5.2, the two single-step vectors (scalar, u-coordinate, output u-coordinate).
        try (X25519.EphemeralKeyPair k = X25519.fromPrivate(
                HEX.parseHex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"));
                SecretBytes out = k.agree(X25519PublicKey.of(
                        HEX.parseHex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")))) {
            assertEquals("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552", HEX.formatHex(out.reveal()));
        }
        try (X25519.EphemeralKeyPair k = X25519.fromPrivate(
                HEX.parseHex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"));
                SecretBytes out = k.agree(X25519PublicKey.of(
                        HEX.parseHex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493")))) {
            assertEquals("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957", HEX.formatHex(out.reveal()));
        }
    }

    @ParameterizedTest(name = "u = {0}")
    @ValueSource(strings = {"0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"})
    void agree_lowOrderPeerKey_isRefusedAsAllZero(final String u) {
        try (X25519.EphemeralKeyPair k = X25519.generate()) {
            final GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
                    () -> k.agree(X25519PublicKey.of(HEX.parseHex(u))));
            assertTrue(e.getMessage().contains("all zero"));
        }
    }

    @Test
    void agree_afterClose_fails() {
        final X25519.EphemeralKeyPair k = X25519.generate();
        final X25519PublicKey peer = X25519.generate().publicKey();
        k.close();
        assertTrue(k.isClosed());
        assertThrows(GeneralSecurityException.class, () -> k.agree(peer));
    }

    @Test
    void generate_twice_givesDifferentKeysAndRedactedToString() {
        try (X25519.EphemeralKeyPair a = X25519.generate(); X25519.EphemeralKeyPair b = X25519.generate()) {
            assertNotEquals(a.publicKey(), b.publicKey());
            assertTrue(a.toString().contains("redacted"));
        }
    }

    @Test
    void parse_canonicalText_roundTrips() {
        final X25519PublicKey k = X25519PublicKey.parse("hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo", "epk");
        assertEquals("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", HEX.formatHex(k.bytes()));
        assertEquals(k, X25519PublicKey.of(k.bytes()));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo=", // padded
        "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo", // standard alphabet
        "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmp", // unused low bits set: same bytes, other text
        "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTm", // 42 characters
        "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmoA", // 44 characters
        ""})
    void parse_nonCanonicalOrWrongLength_isRefusedNamingTheField(final String text) {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> X25519PublicKey.parse(text, "field epk"));
        assertTrue(e.getMessage().startsWith("field epk must be an X25519 public key"), e.getMessage());
    }
}
