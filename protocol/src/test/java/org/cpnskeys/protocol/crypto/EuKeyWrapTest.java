package org.cpnskeys.protocol.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.WrappedKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class EuKeyWrapTest {
    /** The requester (Alice's key of RFC 7748 section 6.1) and the server (Bob's). */
    private static final X25519.EphemeralKeyPair REQUESTER = X25519.fromPrivate(HexFormat.of()
            .parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
    private static final X25519.EphemeralKeyPair SERVER = X25519.fromPrivate(HexFormat.of()
            .parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
    private static final X25519PublicKey OTHER_EPK = X25519.generate().publicKey();
    private static final EuKeyWrap.Context CTX = new EuKeyWrap.Context("bm9uY2UtMQ", "c2b1a0f9e8d7",
            EntityId.of("pne-1"), UserId.of("alice@example.com"), RequestId.of("req-1"), KeyId.of("key-1"),
            REQUESTER.publicKey(), SERVER.publicKey());

    private static SecretBytes shared() {
        try {
            return SERVER.agree(REQUESTER.publicKey());
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    private static EuKeyWrap.Context with(final EuKeyWrap.Context c, final String nonce, final String cnonce,
            final EntityId e, final UserId u, final RequestId r, final KeyId k) {
        return new EuKeyWrap.Context(nonce, cnonce, e, u, r, k, c.requesterEpk(), c.serverEpk());
    }

    private static SecretBytes euKey() {
        final byte[] k = new byte[EuKeyWrap.EUKEY_BYTES];
        Arrays.fill(k, (byte) 0x5a);
        k[0] = 1;
        return SecretBytes.adopt(k);
    }

    private static Ha1 ha1() {
        return DigestClient.ha1("alice@example.com", "cpns", "secret".toCharArray());
    }

    @Test
    void unwrap_sameHa1AndContext_returnsEuKey() throws GeneralSecurityException {
        final WrappedKey w = EuKeyWrap.wrap(euKey(), ha1(), shared(), CTX);
        assertEquals(EuKeyWrap.ALGORITHM, w.alg());
        assertEquals(CTX.nonce(), w.nonce());
        assertEquals(CTX.cnonce(), w.cnonce());
        assertEquals(AesGcm.IV_BYTES, w.iv().length);
        assertEquals(EuKeyWrap.EUKEY_BYTES + 16, w.ciphertext().length);
        try (SecretBytes out = EuKeyWrap.unwrap(w, ha1(), shared(), CTX)) {
            assertTrue(out.equalsSecret(euKey()));
        }
    }

    @Test
    void wrap_twice_usesDifferentIvs() {
        final WrappedKey a = EuKeyWrap.wrap(euKey(), ha1(), shared(), CTX);
        final WrappedKey b = EuKeyWrap.wrap(euKey(), ha1(), shared(), CTX);
        assertFalse(Arrays.equals(a.iv(), b.iv()));
        assertFalse(a.equals(b));
    }

    @Test
    void unwrap_wrongHa1_fails() {
        final WrappedKey w = EuKeyWrap.wrap(euKey(), ha1(), shared(), CTX);
        final Ha1 wrong = DigestClient.ha1("alice@example.com", "cpns", "Secret".toCharArray());
        assertThrows(GeneralSecurityException.class, () -> EuKeyWrap.unwrap(w, wrong, shared(), CTX));
    }

    static Stream<Arguments> changedContexts() {
        return Stream.of(
                Arguments.of("entityId", (UnaryOperator<EuKeyWrap.Context>) c -> with(c, c.nonce(),
                        c.cnonce(), EntityId.of("pne-2"), c.userId(), c.requestId(), c.keyId())),
                Arguments.of("userId", (UnaryOperator<EuKeyWrap.Context>) c -> with(c, c.nonce(),
                        c.cnonce(), c.entityId(), UserId.of("bob"), c.requestId(), c.keyId())),
                Arguments.of("requestId", (UnaryOperator<EuKeyWrap.Context>) c -> with(c, c.nonce(),
                        c.cnonce(), c.entityId(), c.userId(), RequestId.of("req-2"), c.keyId())),
                Arguments.of("keyId", (UnaryOperator<EuKeyWrap.Context>) c -> with(c, c.nonce(),
                        c.cnonce(), c.entityId(), c.userId(), c.requestId(), KeyId.of("key-2"))),
                Arguments.of("nonce", (UnaryOperator<EuKeyWrap.Context>) c -> with(c, "bm9uY2UtMg",
                        c.cnonce(), c.entityId(), c.userId(), c.requestId(), c.keyId())),
                Arguments.of("cnonce", (UnaryOperator<EuKeyWrap.Context>) c -> with(c, c.nonce(),
                        "c2b1a0f9e8d8", c.entityId(), c.userId(), c.requestId(), c.keyId())),
                Arguments.of("requesterEpk", (UnaryOperator<EuKeyWrap.Context>) c -> new EuKeyWrap.Context(c.nonce(),
                        c.cnonce(), c.entityId(), c.userId(), c.requestId(), c.keyId(), OTHER_EPK, c.serverEpk())),
                Arguments.of("serverEpk", (UnaryOperator<EuKeyWrap.Context>) c -> new EuKeyWrap.Context(c.nonce(),
                        c.cnonce(), c.entityId(), c.userId(), c.requestId(), c.keyId(), c.requesterEpk(), OTHER_EPK)));
    }

    @ParameterizedTest(name = "changed {0}")
    @MethodSource("changedContexts")
    void unwrap_changedContext_fails(final String what, final UnaryOperator<EuKeyWrap.Context> change) {
        final WrappedKey w = EuKeyWrap.wrap(euKey(), ha1(), shared(), CTX);
        assertThrows(GeneralSecurityException.class, () -> EuKeyWrap.unwrap(w, ha1(), shared(), change.apply(CTX)));
    }

    @ParameterizedTest(name = "changed {0}, wrapped key relabelled to match")
    @MethodSource("changedContexts")
    void unwrap_changedContextWithMatchingLabels_failsOnTag(final String what,
            final UnaryOperator<EuKeyWrap.Context> change) {
        // Even when the wrapped key's nonce/cnonce labels are rewritten to agree with the new context, the KEK
        // and AAD differ and the tag does not verify.
        final WrappedKey w = EuKeyWrap.wrap(euKey(), ha1(), shared(), CTX);
        final EuKeyWrap.Context other = change.apply(CTX);
        final WrappedKey relabelled = new WrappedKey(w.alg(), other.nonce(), other.cnonce(), other.serverEpk(),
                w.iv(), w.ciphertext());
        assertThrows(GeneralSecurityException.class, () -> EuKeyWrap.unwrap(relabelled, ha1(), shared(), other));
    }

    @Test
    void unwrap_tamperedCiphertextOrIv_fails() {
        final WrappedKey w = EuKeyWrap.wrap(euKey(), ha1(), shared(), CTX);
        for (int i = 0; i < w.ciphertext().length; i++) {
            final byte[] ct = w.ciphertext();
            ct[i] ^= 0x01;
            final WrappedKey t = new WrappedKey(w.alg(), w.nonce(), w.cnonce(), w.epk(), w.iv(), ct);
            assertThrows(GeneralSecurityException.class, () -> EuKeyWrap.unwrap(t, ha1(), shared(), CTX), "byte " + i);
        }
        final byte[] iv = w.iv();
        iv[0] ^= 0x01;
        final WrappedKey t = new WrappedKey(w.alg(), w.nonce(), w.cnonce(), w.epk(), iv, w.ciphertext());
        assertThrows(GeneralSecurityException.class, () -> EuKeyWrap.unwrap(t, ha1(), shared(), CTX));
    }

    @Test
    void unwrap_v1AlgorithmName_fails() {
        final WrappedKey w = EuKeyWrap.wrap(euKey(), ha1(), shared(), CTX);
        final WrappedKey t = new WrappedKey("A256GCM-HKDF-SHA256", w.nonce(), w.cnonce(), w.epk(), w.iv(),
                w.ciphertext());
        assertThrows(GeneralSecurityException.class, () -> EuKeyWrap.unwrap(t, ha1(), shared(), CTX));
    }

    @Test
    void wrap_keyNot32Bytes_throws() {
        assertThrows(IllegalArgumentException.class,
                () -> EuKeyWrap.wrap(SecretBytes.copyOf(new byte[16]), ha1(), shared(), CTX));
    }

    @Test
    void deriveKek_sameInputs_isDeterministicAndContextBound() {
        try (SecretBytes a = EuKeyWrap.deriveKek(ha1(), shared(), CTX);
                SecretBytes b = EuKeyWrap.deriveKek(ha1(), shared(), CTX)) {
            assertEquals(AesGcm.KEY_BYTES, a.length());
            assertTrue(a.equalsSecret(b));
            changedContexts().forEach(args -> {
                @SuppressWarnings("unchecked")
                final UnaryOperator<EuKeyWrap.Context> change = (UnaryOperator<EuKeyWrap.Context>) args.get()[1];
                final String what = (String) args.get()[0];
                final boolean kekInput = !"userId".equals(what) && !"keyId".equals(what);
                // userId and keyId are bound by the AAD only; the others change the KEK itself.
                assertEquals(!kekInput, a.equalsSecret(EuKeyWrap.deriveKek(ha1(), shared(), change.apply(CTX))), what);
            });
        }
    }

    @Test
    void unwrap_otherSharedSecret_failsEvenWithTheRightHa1() throws GeneralSecurityException {
        final WrappedKey w = EuKeyWrap.wrap(euKey(), ha1(), shared(), CTX);
        try (X25519.EphemeralKeyPair stranger = X25519.generate();
                SecretBytes wrongShared = stranger.agree(SERVER.publicKey())) {
            assertThrows(GeneralSecurityException.class, () -> EuKeyWrap.unwrap(w, ha1(), wrongShared, CTX));
        }
    }

    @Test
    void unwrap_wrappedKeyNamesAnotherServerEpk_failsBeforeDerivingAnything() {
        final WrappedKey w = EuKeyWrap.wrap(euKey(), ha1(), shared(), CTX);
        final WrappedKey t = new WrappedKey(w.alg(), w.nonce(), w.cnonce(), OTHER_EPK, w.iv(), w.ciphertext());
        final GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
                () -> EuKeyWrap.unwrap(t, ha1(), shared(), CTX));
        assertEquals("wrapping context mismatch", e.getMessage());
    }
}
