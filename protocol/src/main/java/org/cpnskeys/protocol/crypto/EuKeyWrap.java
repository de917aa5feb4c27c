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
 * Wraps an EUKey for its journey from the server to whoever holds the user's HA1 and sent the Key Request's
 * ephemeral key (the gateway acting as proxy, or a PNE with UI): protocol version 2, "secure material
 * calculated from password" and an X25519 shared secret.
 *
 * <pre>
 * shared = X25519(server ephemeral private, requester epk) = X25519(requester private, server epk)
 * KEK = HKDF-SHA256(IKM = HA1 (16 raw bytes) || shared (32 bytes),
 *                   salt = UTF-8(nonce ":" cnonce),
 *                   info = UTF-8("cpns-eukey-kek-v2:" entityId ":" requestId ":" requesterEpk ":" serverEpk), L = 32)
 * wrapped = AES-256-GCM(KEK, random 96-bit IV, EUKey,
 *                   AAD = UTF-8("cpns-eukey-v2:" entityId ":" userId ":" requestId ":" keyId))
 * </pre>
 *
 * The GCM tag proves to the receiver that the sender knew HA1 and the ephemeral private key of the server's
 * epk. Without one of the two ephemeral private keys, the password alone opens nothing and confirms no guess.
 */
public final class EuKeyWrap {
    public static final String ALGORITHM = "A256GCM-X25519-HKDF-SHA256";
    public static final int EUKEY_BYTES = 32;
    static final String KEK_LABEL = "cpns-eukey-kek-v2";
    static final String AAD_LABEL = "cpns-eukey-v2";

    private EuKeyWrap() {
    }

    /** Everything the wrapping binds to; all of it travels in the clear beside the wrapped key. */
    public record Context(String nonce, String cnonce, EntityId entityId, UserId userId, RequestId requestId,
            KeyId keyId, X25519PublicKey requesterEpk, X25519PublicKey serverEpk) {
        public Context {
            if (nonce == null || cnonce == null || entityId == null || userId == null || requestId == null
                    || keyId == null || requesterEpk == null || serverEpk == null) {
                throw new IllegalArgumentException("wrapping context incomplete");
            }
        }

        byte[] salt() {
            return (nonce + ":" + cnonce).getBytes(StandardCharsets.UTF_8);
        }

        byte[] info() {
            return (KEK_LABEL + ":" + entityId.value() + ":" + requestId.value() + ":" + requesterEpk.text() + ":"
                    + serverEpk.text()).getBytes(StandardCharsets.UTF_8);
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

    /** KEK = HKDF-SHA256(HA1 || shared, salt, info, 32). {@code shared} is the 32-byte X25519 shared secret. */
    public static SecretBytes deriveKek(final Ha1 ha1, final SecretBytes shared, final Context ctx) {
        if (shared.length() != X25519PublicKey.BYTES) {
            throw new IllegalArgumentException("an X25519 shared secret is 32 bytes");
        }
        final byte[] h = ha1.reveal();
        final byte[] s = shared.reveal();
        final byte[] ikm = Arrays.copyOf(h, h.length + s.length);
        System.arraycopy(s, 0, ikm, h.length, s.length);
        Arrays.fill(h, (byte) 0);
        Arrays.fill(s, (byte) 0);
        try {
            return hkdfSha256(ikm, ctx.salt(), ctx.info(), AesGcm.KEY_BYTES);
        } finally {
            Arrays.fill(ikm, (byte) 0);
        }
    }

    /**
     * Wraps an EUKey: {@code shared} is X25519(server's ephemeral private key, {@code ctx.requesterEpk()}), and
     * {@code ctx.serverEpk()} travels in the wrapped key so that the requester can compute it too.
     */
    public static WrappedKey wrap(final SecretBytes euKey, final Ha1 ha1, final SecretBytes shared,
            final Context ctx) {
        if (euKey.length() != EUKEY_BYTES) {
            throw new IllegalArgumentException("an EUKey is 32 bytes");
        }
        try (SecretBytes kek = deriveKek(ha1, shared, ctx)) {
            final byte[] plain = euKey.reveal();
            try {
                final AesGcm.Sealed sealed = AesGcm.seal(kek, plain, ctx.aad());
                return new WrappedKey(ALGORITHM, ctx.nonce(), ctx.cnonce(), ctx.serverEpk(), sealed.iv(),
                        sealed.ciphertext());
            } finally {
                Arrays.fill(plain, (byte) 0);
            }
        }
    }

    /**
     * Opens a wrapped EUKey: {@code shared} is X25519(requester's ephemeral private key, {@code wrapped.epk()}).
     * Fails with {@link GeneralSecurityException} when anything does not match: a wrong HA1 or shared secret,
     * tampered ciphertext, or a context other than the one it was wrapped for.
     */
    public static SecretBytes unwrap(final WrappedKey wrapped, final Ha1 ha1, final SecretBytes shared,
            final Context ctx) throws GeneralSecurityException {
        if (!ALGORITHM.equals(wrapped.alg())) {
            throw new GeneralSecurityException("unsupported wrapping algorithm");
        }
        if (!wrapped.nonce().equals(ctx.nonce()) || !wrapped.cnonce().equals(ctx.cnonce())
                || !wrapped.epk().equals(ctx.serverEpk())) {
            throw new GeneralSecurityException("wrapping context mismatch");
        }
        try (SecretBytes kek = deriveKek(ha1, shared, ctx)) {
            final byte[] plain = AesGcm.open(kek, wrapped.iv(), wrapped.ciphertext(), ctx.aad());
            if (plain.length != EUKEY_BYTES) {
                Arrays.fill(plain, (byte) 0);
                throw new GeneralSecurityException("unwrapped key has the wrong length");
            }
            return SecretBytes.adopt(plain);
        }
    }
}
