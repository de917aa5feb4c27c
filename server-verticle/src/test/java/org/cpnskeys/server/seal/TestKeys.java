package org.cpnskeys.server.seal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.server.store.Admission;
import org.cpnskeys.server.store.DigestUse;
import org.cpnskeys.server.store.EuKeyRepository;
import org.cpnskeys.server.store.StoredKey;

/** Random EUKeys stored sealed (entity {@code pne-i}, Key ID {@code ki}), and the check that each still opens. */
public final class TestKeys {
    private static final SecureRandom RANDOM = new SecureRandom();

    private TestKeys() {
    }

    /** Stores {@code n} random EUKeys sealed by {@code sealer}, owned by alice through {@code gateway}; by Key ID. */
    public static Map<KeyId, byte[]> store(final EuKeyRepository store, final StoredKeySealer sealer, final int n,
            final String gateway) throws Exception {
        final Map<KeyId, byte[]> euKeys = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            final byte[] euKey = new byte[32];
            RANDOM.nextBytes(euKey);
            final KeyId keyId = KeyId.of("k" + i);
            euKeys.put(keyId, euKey);
            final byte[] nonce = new byte[40];
            RANDOM.nextBytes(nonce);
            try (SecretBytes k = SecretBytes.copyOf(euKey)) {
                store.assign(sealer.seal(k, new KeyBinding(EntityId.of("pne-" + i), keyId, UserId.of("alice"),
                        RequestId.of("r" + i), GatewayId.of(gateway)), true, Instant.now().truncatedTo(ChronoUnit.MICROS)),
                        new DigestUse(nonce, 1, Instant.now().plusSeconds(300)), Admission.ANY).await(30, TimeUnit.SECONDS);
            }
        }
        return euKeys;
    }

    /** Asserts that {@code rows} are the keys of {@code euKeys} and each opens, under the seal it names, to its EUKey. */
    public static void assertEveryKeyOpens(final List<StoredKey> rows, final Map<KeyId, byte[]> euKeys,
            final SealSet seals) throws GeneralSecurityException {
        assertEquals(euKeys.keySet(), rows.stream().map(StoredKey::keyId).collect(Collectors.toSet()));
        for (final StoredKey k : rows) {
            try (SecretBytes opened = seals.byId(k.seal()).orElseThrow().open(k.sealedKey(), KeyBinding.of(k))) {
                assertArrayEquals(euKeys.get(k.keyId()), opened.reveal(), k.keyId().value());
            }
        }
    }
}
