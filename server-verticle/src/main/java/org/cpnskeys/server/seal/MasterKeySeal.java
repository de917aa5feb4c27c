package org.cpnskeys.server.seal;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Function;

import org.cpnskeys.protocol.crypto.AesGcm;
import org.cpnskeys.protocol.crypto.SecretBytes;

/**
 * AES-256-GCM under the server's master key file ({@code master.key}): the sealed bytes are the 12-byte IV
 * followed by the ciphertext and its 16-byte tag. Seal {@value #V1} binds the entity and Key ID only (what servers
 * wrote before seal 2; opened only to re-seal); seal {@value #V2} binds entity, Key ID, user, request ID and
 * gateway ({@link KeyBinding#aadV2()}). Holds the master key without owning it: the caller destroys it.
 */
public final class MasterKeySeal implements KeySeal {
    /** Master key file, version 1 associated data (entity and Key ID). */
    public static final int V1 = 1;
    /** Master key file, version 2 associated data (entity, Key ID, user, request ID, gateway). */
    public static final int V2 = 2;

    private final int id;
    private final SecretBytes masterKey;
    private final Function<KeyBinding, byte[]> aad;
    private final String name;

    private MasterKeySeal(final int id, final SecretBytes masterKey, final Function<KeyBinding, byte[]> aad,
            final String name) {
        this.id = id;
        this.masterKey = Objects.requireNonNull(masterKey, "masterKey");
        this.aad = aad;
        this.name = name;
    }

    /** Seal 1, for opening keys sealed before seal 2 existed. */
    public static MasterKeySeal v1(final SecretBytes masterKey) {
        return new MasterKeySeal(V1, masterKey, KeyBinding::aadV1, "seal 1 (AES-256-GCM, master key file, AAD v1)");
    }

    /** Seal 2, what servers seal with by default. */
    public static MasterKeySeal v2(final SecretBytes masterKey) {
        return new MasterKeySeal(V2, masterKey, KeyBinding::aadV2, "seal 2 (AES-256-GCM, master key file, AAD v2)");
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public String describe() {
        return name;
    }

    @Override
    public byte[] seal(final SecretBytes euKey, final KeyBinding binding) {
        final byte[] plain = euKey.reveal();
        try {
            final AesGcm.Sealed s = AesGcm.seal(masterKey, plain, aad.apply(binding));
            final byte[] iv = s.iv();
            final byte[] ct = s.ciphertext();
            final byte[] out = Arrays.copyOf(iv, iv.length + ct.length);
            System.arraycopy(ct, 0, out, iv.length, ct.length);
            return out;
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    @Override
    public SecretBytes open(final byte[] sealed, final KeyBinding binding) throws GeneralSecurityException {
        if (sealed.length <= AesGcm.IV_BYTES + AesGcm.TAG_BITS / 8) {
            throw new GeneralSecurityException("sealed key too short");
        }
        return SecretBytes.adopt(AesGcm.open(masterKey, Arrays.copyOf(sealed, AesGcm.IV_BYTES),
                Arrays.copyOfRange(sealed, AesGcm.IV_BYTES, sealed.length), aad.apply(binding)));
    }

    @Override
    public String toString() {
        return name;
    }
}
