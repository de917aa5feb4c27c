package org.cpnskeys.protocol.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.GeneralSecurityException;
import java.util.Arrays;
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
    private static final EuKeyWrap.Context CTX = new EuKeyWrap.Context("bm9uY2UtMQ", "c2b1a0f9e8d7",
            EntityId.of("pne-1"), UserId.of("alice@example.com"), RequestId.of("req-1"), KeyId.of("key-1"));

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
        final WrappedKey w = EuKeyWrap.wrap(euKey(), ha1(), CTX);
        assertEquals(EuKeyWrap.ALGORITHM, w.alg());
        assertEquals(CTX.nonce(), w.nonce());
        assertEquals(CTX.cnonce(), w.cnonce());
        assertEquals(AesGcm.IV_BYTES, w.iv().length);
        assertEquals(EuKeyWrap.EUKEY_BYTES + 16, w.ciphertext().length);
        try (SecretBytes out = EuKeyWrap.unwrap(w, ha1(), CTX)) {
            assertTrue(out.equalsSecret(euKey()));
        }
    }

    @Test
    void wrap_twice_usesDifferentIvs() {
        final WrappedKey a = EuKeyWrap.wrap(euKey(), ha1(), CTX);
        final WrappedKey b = EuKeyWrap.wrap(euKey(), ha1(), CTX);
        assertFalse(Arrays.equals(a.iv(), b.iv()));
        assertFalse(a.equals(b));
    }

    @Test
    void unwrap_wrongHa1_fails() {
        final WrappedKey w = EuKeyWrap.wrap(euKey(), ha1(), CTX);
        final Ha1 wrong = DigestClient.ha1("alice@example.com", "cpns", "Secret".toCharArray());
        assertThrows(GeneralSecurityException.class, () -> EuKeyWrap.unwrap(w, wrong, CTX));
    }

    static Stream<Arguments> changedContexts() {
        return Stream.of(
                Arguments.of("entityId", (UnaryOperator<EuKeyWrap.Context>) c -> new EuKeyWrap.Context(c.nonce(),
                        c.cnonce(), EntityId.of("pne-2"), c.userId(), c.requestId(), c.keyId())),
                Arguments.of("userId", (UnaryOperator<EuKeyWrap.Context>) c -> new EuKeyWrap.Context(c.nonce(),
                        c.cnonce(), c.entityId(), UserId.of("bob"), c.requestId(), c.keyId())),
                Arguments.of("requestId", (UnaryOperator<EuKeyWrap.Context>) c -> new EuKeyWrap.Context(c.nonce(),
                        c.cnonce(), c.entityId(), c.userId(), RequestId.of("req-2"), c.keyId())),
                Arguments.of("keyId", (UnaryOperator<EuKeyWrap.Context>) c -> new EuKeyWrap.Context(c.nonce(),
                        c.cnonce(), c.entityId(), c.userId(), c.requestId(), KeyId.of("key-2"))),
                Arguments.of("nonce", (UnaryOperator<EuKeyWrap.Context>) c -> new EuKeyWrap.Context("bm9uY2UtMg",
                        c.cnonce(), c.entityId(), c.userId(), c.requestId(), c.keyId())),
                Arguments.of("cnonce", (UnaryOperator<EuKeyWrap.Context>) c -> new EuKeyWrap.Context(c.nonce(),
                        "c2b1a0f9e8d8", c.entityId(), c.userId(), c.requestId(), c.keyId())));
    }

    @ParameterizedTest(name = "changed {0}")
    @MethodSource("changedContexts")
    void unwrap_changedContext_fails(final String what, final UnaryOperator<EuKeyWrap.Context> change) {
        final WrappedKey w = EuKeyWrap.wrap(euKey(), ha1(), CTX);
        assertThrows(GeneralSecurityException.class, () -> EuKeyWrap.unwrap(w, ha1(), change.apply(CTX)));
    }

    @ParameterizedTest(name = "changed {0}, wrapped key relabelled to match")
    @MethodSource("changedContexts")
    void unwrap_changedContextWithMatchingLabels_failsOnTag(final String what,
            final UnaryOperator<EuKeyWrap.Context> change) {
        // Even when the wrapped key's nonce/cnonce labels are rewritten to agree with the new context, the KEK
        // and AAD differ and the tag does not verify.
        final WrappedKey w = EuKeyWrap.wrap(euKey(), ha1(), CTX);
        final EuKeyWrap.Context other = change.apply(CTX);
        final WrappedKey relabelled = new WrappedKey(w.alg(), other.nonce(), other.cnonce(), w.iv(), w.ciphertext());
        assertThrows(GeneralSecurityException.class, () -> EuKeyWrap.unwrap(relabelled, ha1(), other));
    }

    @Test
    void unwrap_tamperedCiphertextOrIv_fails() {
        final WrappedKey w = EuKeyWrap.wrap(euKey(), ha1(), CTX);
        for (int i = 0; i < w.ciphertext().length; i++) {
            final byte[] ct = w.ciphertext();
            ct[i] ^= 0x01;
            final WrappedKey t = new WrappedKey(w.alg(), w.nonce(), w.cnonce(), w.iv(), ct);
            assertThrows(GeneralSecurityException.class, () -> EuKeyWrap.unwrap(t, ha1(), CTX), "byte " + i);
        }
        final byte[] iv = w.iv();
        iv[0] ^= 0x01;
        final WrappedKey t = new WrappedKey(w.alg(), w.nonce(), w.cnonce(), iv, w.ciphertext());
        assertThrows(GeneralSecurityException.class, () -> EuKeyWrap.unwrap(t, ha1(), CTX));
    }

    @Test
    void unwrap_otherAlgorithmName_fails() {
        final WrappedKey w = EuKeyWrap.wrap(euKey(), ha1(), CTX);
        final WrappedKey t = new WrappedKey("A128GCM", w.nonce(), w.cnonce(), w.iv(), w.ciphertext());
        assertThrows(GeneralSecurityException.class, () -> EuKeyWrap.unwrap(t, ha1(), CTX));
    }

    @Test
    void wrap_keyNot32Bytes_throws() {
        assertThrows(IllegalArgumentException.class,
                () -> EuKeyWrap.wrap(SecretBytes.copyOf(new byte[16]), ha1(), CTX));
    }

    @Test
    void deriveKek_sameInputs_isDeterministicAndContextBound() {
        try (SecretBytes a = EuKeyWrap.deriveKek(ha1(), CTX); SecretBytes b = EuKeyWrap.deriveKek(ha1(), CTX)) {
            assertEquals(AesGcm.KEY_BYTES, a.length());
            assertTrue(a.equalsSecret(b));
            changedContexts().forEach(args -> {
                @SuppressWarnings("unchecked")
                final UnaryOperator<EuKeyWrap.Context> change = (UnaryOperator<EuKeyWrap.Context>) args.get()[1];
                final String what = (String) args.get()[0];
                final boolean kekInput = !"userId".equals(what) && !"keyId".equals(what);
                // userId and keyId are bound by the AAD only; the others change the KEK itself.
                assertEquals(!kekInput, a.equalsSecret(EuKeyWrap.deriveKek(ha1(), change.apply(CTX))), what);
            });
        }
    }
}
