package org.cpnskeys.server.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.server.seal.KeyBinding;
import org.cpnskeys.server.seal.SealSet;
import org.cpnskeys.server.seal.StoredKeySealer;
import org.cpnskeys.server.store.Admission;
import org.cpnskeys.server.store.DigestUse;
import org.cpnskeys.server.store.KeyInfo;
import org.cpnskeys.server.store.KeyState;
import org.cpnskeys.server.store.SqliteEuKeyRepository;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The key check values the operator lists are those of the stored EUKeys (the worked example's key, PROTOCOL.md
 * section 13.3, has KCV f29000), for ACTIVE keys only; a key that does not open gets none.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KeyCheckValuesTest {
    /** The worked example's EUKey and its KCV (PROTOCOL.md section 13.3). */
    private static final String EXAMPLE_EUKEY = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    private static final String EXAMPLE_KCV = "f29000";
    /** AESAVS VarKey256 first entry: key 80 00..00 encrypts the zero block to e35a6dcb... */
    private static final String VARKEY = "8000000000000000000000000000000000000000000000000000000000000000";

    @TempDir
    Path dir;
    private final Vertx vertx = Vertx.vertx();
    private long nc;

    @AfterEach
    void close() {
        vertx.close().await();
    }

    private static StoredKeySealer sealer(final int fill) {
        final byte[] master = new byte[32];
        java.util.Arrays.fill(master, (byte) fill);
        return new StoredKeySealer(SealSet.masterKeyFile(SecretBytes.copyOf(master)), StoredKeySealer.Listener.NONE);
    }

    private void assign(final SqliteEuKeyRepository store, final StoredKeySealer sealer, final String entity,
            final String request, final String euKeyHex) throws Exception {
        final KeyBinding binding = new KeyBinding(EntityId.of(entity), KeyId.of("k-" + request), UserId.of("alice"),
                RequestId.of(request), GatewayId.of("gw"));
        store.assign(sealer.seal(SecretBytes.copyOf(HexFormat.of().parseHex(euKeyHex)), binding, true,
                Instant.now().truncatedTo(ChronoUnit.MICROS)), new DigestUse(new byte[40], ++nc,
                Instant.now().plusSeconds(300)), Admission.ANY).await(20, TimeUnit.SECONDS);
    }

    @Test
    void of_listedKeys_kcvOfEachActiveStoredKeyNoneForSupersededOrUnopenable() throws Exception {
        final SqliteEuKeyRepository store = SqliteEuKeyRepository.open(vertx, dir.resolve("eukeys.db"))
                .await(20, TimeUnit.SECONDS);
        final StoredKeySealer sealer = sealer(7);
        assign(store, sealer, "bulb", "r1", VARKEY);
        assign(store, sealer, "bulb", "r2", EXAMPLE_EUKEY); // rotates: r1 SUPERSEDED
        assign(store, sealer, "plug", "r3", VARKEY);
        assign(store, sealer(9), "lamp", "r4", EXAMPLE_EUKEY); // sealed under another master key: does not open
        final List<KeyInfo> keys = store.list().await(20, TimeUnit.SECONDS);
        assertEquals(KeyState.SUPERSEDED, keys.stream().filter(k -> k.keyId().equals(KeyId.of("k-r1"))).findFirst()
                .orElseThrow().state());

        final Map<KeyId, KeyCheckValues.Check> checks = new KeyCheckValues(vertx, store, sealer).of(keys)
                .await(20, TimeUnit.SECONDS);

        assertEquals(Optional.of(EXAMPLE_KCV), checks.get(KeyId.of("k-r2")).kcv(), "the worked example's KCV");
        assertEquals(Optional.of("e35a6d"), checks.get(KeyId.of("k-r3")).kcv(), "AESAVS VarKey256, first 3 bytes");
        assertFalse(checks.containsKey(KeyId.of("k-r1")), "a superseded key is not checked");
        assertEquals(Optional.empty(), checks.get(KeyId.of("k-r4")).kcv(), "a key that does not open has no KCV");
        store.close().await(20, TimeUnit.SECONDS);
    }
}
