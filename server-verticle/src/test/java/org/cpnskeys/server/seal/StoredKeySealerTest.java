package org.cpnskeys.server.seal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.AesGcm;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.server.store.KeyInfo;
import org.cpnskeys.server.store.KeyState;
import org.cpnskeys.server.store.NewKey;
import org.cpnskeys.server.store.SealChange;
import org.cpnskeys.server.store.StoredKey;

/** Sealing EUKeys for the store and opening them, with real AES-256-GCM under a random master key. */
class StoredKeySealerTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final SecretBytes masterKey = SecretBytes.copyOf(random(32));
    private final List<KeyInfo> reported = new ArrayList<>();
    private final StoredKeySealer sealer = new StoredKeySealer(SealSet.masterKeyFile(masterKey),
            (key, why) -> reported.add(key));
    private final byte[] euKey = random(32);
    private final KeyBinding binding = new KeyBinding(EntityId.of("pne-1"), KeyId.of("k1"), UserId.of("alice"),
            RequestId.of("r1"), GatewayId.of("gw"));

    @AfterEach
    void destroy() {
        masterKey.destroy();
    }

    private static byte[] random(final int n) {
        final byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private StoredKey stored() {
        try (SecretBytes k = SecretBytes.copyOf(euKey)) {
            return sealer.seal(k, binding, true, Instant.now()).stored(KeyState.ACTIVE);
        }
    }

    /** A copy of {@code k} with its row changed as {@code field} says (the sealed bytes unchanged). */
    private static StoredKey changed(final StoredKey k, final String field) {
        return new StoredKey(field.equals("entity") ? EntityId.of("pne-2") : k.entityId(),
                field.equals("user") ? UserId.of("bob") : k.userId(),
                field.equals("gateway") ? GatewayId.of("gw-2") : k.gatewayId(),
                field.equals("request") ? RequestId.of("r2") : k.requestId(),
                field.equals("keyId") ? KeyId.of("k2") : k.keyId(), k.proxy(), k.sealedKey(), k.seal(), k.createdAt(),
                k.state());
    }

    /** Verifies that a sealed key carries the current seal and opens to the EUKey it was made from. */
    @Test
    void seal_thenOpen_sameEuKeyUnderSealTwo() {
        final StoredKey k = stored();
        assertEquals(MasterKeySeal.V2, k.seal());
        assertEquals(12 + 32 + 16, k.sealedKey().length);
        try (SecretBytes opened = sealer.open(k)) {
            assertTrue(opened.equalsSecret(SecretBytes.copyOf(euKey)));
        }
        assertEquals(List.of(), reported);
    }

    /** Verifies that a row with any of its five bound fields changed does not open, and is reported each time. */
    @Test
    void open_rowWithBoundFieldChanged_failsAndIsReported() {
        final StoredKey k = stored();
        for (final String field : List.of("entity", "keyId", "user", "request", "gateway")) {
            final StoredKey tampered = changed(k, field);
            final StoredKeyUnopenableException e = assertThrows(StoredKeyUnopenableException.class,
                    () -> sealer.open(tampered), field);
            assertEquals(Status.INTERNAL_ERROR, e.status());
            assertEquals(tampered.info(), reported.get(reported.size() - 1), field);
        }
        assertEquals(5, reported.size());
    }

    /** Verifies that a key still under the retired seal 1 is not delivered (it binds entity and Key ID only). */
    @Test
    void open_keyUnderRetiredSeal_refusedAndReported() {
        final StoredKey legacy;
        try (SecretBytes k = SecretBytes.copyOf(euKey)) {
            legacy = new StoredKeySealer(new SealSet(MasterKeySeal.v1(masterKey), List.of()), StoredKeySealer.Listener.NONE)
                    .seal(k, binding, true, Instant.now()).stored(KeyState.ACTIVE);
        }
        assertEquals(MasterKeySeal.V1, legacy.seal());
        assertThrows(StoredKeyUnopenableException.class, () -> sealer.open(legacy));
        assertEquals(List.of(legacy.info()), reported);
    }

    /**
     * Verifies that a key sealed as servers did before seal 2 (AES-256-GCM under the master key, associated data
     * {@code cpns-master-v1:<entity>:<keyId>}, IV then ciphertext) is re-sealed to seal 2 and then opens.
     */
    @Test
    void reseal_keySealedTheFormerWay_movesToSealTwoAndOpens() {
        final AesGcm.Sealed former = AesGcm.seal(masterKey, euKey,
                "cpns-master-v1:pne-1:k1".getBytes(StandardCharsets.UTF_8));
        final byte[] blob = new byte[former.iv().length + former.ciphertext().length];
        System.arraycopy(former.iv(), 0, blob, 0, former.iv().length);
        System.arraycopy(former.ciphertext(), 0, blob, former.iv().length, former.ciphertext().length);
        final StoredKey legacy = new NewKey(binding.entity(), binding.user(), binding.gateway(), binding.request(),
                binding.keyId(), true, blob, MasterKeySeal.V1, Instant.now()).stored(KeyState.SUPERSEDED);
        final SealChange change = sealer.reseal(legacy).orElseThrow();
        assertEquals(MasterKeySeal.V1, change.fromSeal());
        assertEquals(MasterKeySeal.V2, change.toSeal());
        assertTrue(Arrays.equals(blob, change.from()));
        final StoredKey resealed = new StoredKey(legacy.entityId(), legacy.userId(), legacy.gatewayId(),
                legacy.requestId(), legacy.keyId(), legacy.proxy(), change.to(), change.toSeal(), legacy.createdAt(),
                legacy.state());
        try (SecretBytes opened = sealer.open(resealed)) {
            assertTrue(opened.equalsSecret(SecretBytes.copyOf(euKey)));
        }
    }

    /** Verifies that re-sealing leaves a key under an unknown seal alone, and reports one that does not open. */
    @Test
    void reseal_unknownSealLeftAndUnopenableReported() {
        final StoredKey k = stored();
        final StoredKey unknown = new StoredKey(k.entityId(), k.userId(), k.gatewayId(), k.requestId(), k.keyId(),
                k.proxy(), k.sealedKey(), 7, k.createdAt(), k.state());
        assertEquals(Optional.empty(), sealer.reseal(unknown));
        assertThrows(StoredKeyUnopenableException.class, () -> sealer.reseal(changed(k, "user")));
        assertEquals(1, reported.size());
    }
}
