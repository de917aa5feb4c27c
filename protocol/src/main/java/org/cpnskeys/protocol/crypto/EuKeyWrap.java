package org.cpnskeys.protocol.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;

import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.WrappedKey;

/**
 * Wraps an EUKey for its journey from the server to whoever holds the user's HA1 (the gateway acting as
 * proxy, or a PNE with UI): the seed's "secure material calculated from password".
 *
 * <pre>
 * KEK = HKDF-SHA256(IKM = HA1 (16 raw bytes),
 *                   salt = UTF-8(nonce ":" cnonce),
 *                   info = UTF-8("cpns-eukey-kek-v1:" entityId ":" requestId), L = 32)
 * wrapped = AES-256-GCM(KEK, random 96-bit IV, EUKey,
 *                   AAD = UTF-8("cpns-eukey-v1:" entityId ":" userId ":" requestId ":" keyId))
 * </pre>
 *
 * The GCM tag also proves to the receiver that the sender knew HA1.
 */
public final class EuKeyWrap {
    public static final String ALGORITHM = "A256GCM-HKDF-SHA256";
    public static final int EUKEY_BYTES = 32;
    static final String KEK_LABEL = "cpns-eukey-kek-v1";
    static final String AAD_LABEL = "cpns-eukey-v1";

    private EuKeyWrap() {
    }

    /** Everything the wrapping binds to; all of it travels in the clear beside the wrapped key. */
    public record Context(String nonce, String cnonce, EntityId entityId, UserId userId, RequestId requestId,
            KeyId keyId) {
        byte[] salt() {
            return (nonce + ":" + cnonce).getBytes(StandardCharsets.UTF_8);
        }

        byte[] info() {
            return (KEK_LABEL + ":" + entityId.value() + ":" + requestId.value()).getBytes(StandardCharsets.UTF_8);
        }

        byte[] aad() {
            return (AAD_LABEL + ":" + entityId.value() + ":" + userId.value() + ":" + requestId.value() + ":"
                    + keyId.value()).getBytes(StandardCharsets.UTF_8);
        }
    }

    /** HKDF-SHA256 (RFC 5869): BouncyCastle's HKDF over the JDK's SHA-256 ({@link JdkSha256Digest}). */
    public static SecretBytes hkdfSha256(final byte[] ikm, final byte[] salt, final byte[] info, final int length) {
        final HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new JdkSha256Digest());
        hkdf.init(new HKDFParameters(ikm, salt, info));
        final byte[] out = new byte[length];
        hkdf.generateBytes(out, 0, length);
        return SecretBytes.adopt(out);
    }

    public static SecretBytes deriveKek(final Ha1 ha1, final Context ctx) {
        final byte[] ikm = ha1.reveal();
        try {
            return hkdfSha256(ikm, ctx.salt(), ctx.info(), AesGcm.KEY_BYTES);
        } finally {
            Arrays.fill(ikm, (byte) 0);
        }
    }

    public static WrappedKey wrap(final SecretBytes euKey, final Ha1 ha1, final Context ctx) {
        if (euKey.length() != EUKEY_BYTES) {
            throw new IllegalArgumentException("an EUKey is 32 bytes");
        }
        try (SecretBytes kek = deriveKek(ha1, ctx)) {
            final byte[] plain = euKey.reveal();
            try {
                final AesGcm.Sealed sealed = AesGcm.seal(kek, plain, ctx.aad());
                return new WrappedKey(ALGORITHM, ctx.nonce(), ctx.cnonce(), sealed.iv(), sealed.ciphertext());
            } finally {
                Arrays.fill(plain, (byte) 0);
            }
        }
    }

    /**
     * Opens a wrapped EUKey. Fails with {@link GeneralSecurityException} when anything does not match: a
     * wrong HA1, tampered ciphertext, or a context other than the one it was wrapped for.
     */
    public static SecretBytes unwrap(final WrappedKey wrapped, final Ha1 ha1, final Context ctx)
            throws GeneralSecurityException {
        if (!ALGORITHM.equals(wrapped.alg())) {
            throw new GeneralSecurityException("unsupported wrapping algorithm");
        }
        if (!wrapped.nonce().equals(ctx.nonce()) || !wrapped.cnonce().equals(ctx.cnonce())) {
            throw new GeneralSecurityException("wrapping context mismatch");
        }
        try (SecretBytes kek = deriveKek(ha1, ctx)) {
            final byte[] plain = AesGcm.open(kek, wrapped.iv(), wrapped.ciphertext(), ctx.aad());
            if (plain.length != EUKEY_BYTES) {
                Arrays.fill(plain, (byte) 0);
                throw new GeneralSecurityException("unwrapped key has the wrong length");
            }
            return SecretBytes.adopt(plain);
        }
    }
}
