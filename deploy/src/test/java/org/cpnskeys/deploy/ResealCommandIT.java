package org.cpnskeys.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.KeyCheckValue;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.SecretFiles;
import org.cpnskeys.server.ServerApplication;
import org.cpnskeys.server.ServerConfig;
import org.cpnskeys.server.auth.HtdigestFile;
import org.cpnskeys.server.seal.KeyBinding;
import org.cpnskeys.server.seal.MasterKeySeal;
import org.cpnskeys.server.seal.SealSet;
import org.cpnskeys.server.seal.StoredKeySealer;
import org.cpnskeys.server.store.Admission;
import org.cpnskeys.server.store.DigestUse;
import org.cpnskeys.server.store.KeyPage;
import org.cpnskeys.server.store.NewKey;
import org.cpnskeys.server.store.SqliteEuKeyRepository;
import org.cpnskeys.server.store.StoredKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code cpns server reseal} on a stopped server's SQLite store holding keys sealed the former way (seal 1). */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ResealCommandIT {
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path data;

    /** Stores {@code n} EUKeys sealed with seal 1 (and one more, if {@code tampered}, whose bytes belong elsewhere). */
    private Map<KeyId, byte[]> storeLegacyKeys(final int n, final boolean tampered) throws Exception {
        final SecretBytes master = SecretFiles.loadOrCreate(data.resolve(ServerConfig.MASTER_KEY_FILE), 32);
        final StoredKeySealer legacy = new StoredKeySealer(new SealSet(MasterKeySeal.v1(master), List.of()),
                StoredKeySealer.Listener.NONE);
        final Map<KeyId, byte[]> euKeys = new LinkedHashMap<>();
        final Vertx vertx = Vertx.vertx();
        try {
            final SqliteEuKeyRepository store = SqliteEuKeyRepository.open(vertx, data.resolve("eukeys.db"))
                    .await(20, TimeUnit.SECONDS);
            NewKey last = null;
            for (int i = 0; i < n; i++) {
                final byte[] euKey = new byte[32];
                RANDOM.nextBytes(euKey);
                final KeyId keyId = KeyId.of("k" + i);
                euKeys.put(keyId, euKey);
                try (SecretBytes k = SecretBytes.copyOf(euKey)) {
                    last = legacy.seal(k, new KeyBinding(EntityId.of("pne-" + i), keyId, UserId.of("alice"),
                            RequestId.of("r" + i), GatewayId.of("gw")), true, Instant.now().truncatedTo(ChronoUnit.MICROS));
                }
                store.assign(last, use(i + 1), Admission.ANY).await(20, TimeUnit.SECONDS);
            }
            if (tampered) {
                store.assign(new NewKey(EntityId.of("pne-x"), UserId.of("mallory"), GatewayId.of("gw"), RequestId.of("rx"),
                        KeyId.of("kx"), true, last.sealedKey(), MasterKeySeal.V1, Instant.now()), use(n + 1), Admission.ANY)
                        .await(20, TimeUnit.SECONDS);
            }
            store.close().await(20, TimeUnit.SECONDS);
        } finally {
            master.destroy();
            vertx.close().await(20, TimeUnit.SECONDS);
        }
        return euKeys;
    }

    private List<StoredKey> storedKeys() throws Exception {
        final Vertx vertx = Vertx.vertx();
        try {
            final SqliteEuKeyRepository store = SqliteEuKeyRepository.open(vertx, data.resolve("eukeys.db"))
                    .await(20, TimeUnit.SECONDS);
            final KeyPage all = store.findNotSealedWith(Integer.MAX_VALUE, 0, 1000).await(20, TimeUnit.SECONDS);
            store.close().await(20, TimeUnit.SECONDS);
            return all.keys();
        } finally {
            vertx.close().await(20, TimeUnit.SECONDS);
        }
    }

    /** Verifies that every key moves to seal 2 and still opens to its EUKey, and that a second run has nothing to do. */
    @Test
    void reseal_legacyStore_everyKeyUnderSealTwoAndOpens() throws Exception {
        final Map<KeyId, byte[]> euKeys = storeLegacyKeys(20, false);
        final OfflineAdminCommandsTest.Run run = OfflineAdminCommandsTest.cpns("", "server", "--data", data.toString(),
                "reseal", "--batch-size", "6");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("re-sealed 20 stored EUKeys"), run.out());
        final SecretBytes master = SecretFiles.loadOrCreate(data.resolve(ServerConfig.MASTER_KEY_FILE), 32);
        try {
            final StoredKeySealer sealer = new StoredKeySealer(SealSet.masterKeyFile(master), StoredKeySealer.Listener.NONE);
            final List<StoredKey> keys = storedKeys();
            assertEquals(20, keys.size());
            for (final StoredKey k : keys) {
                assertEquals(MasterKeySeal.V2, k.seal());
                try (SecretBytes opened = sealer.open(k)) {
                    assertTrue(opened.equalsSecret(SecretBytes.copyOf(euKeys.get(k.keyId()))), k.toString());
                }
            }
        } finally {
            master.destroy();
        }
        final OfflineAdminCommandsTest.Run again = OfflineAdminCommandsTest.cpns("", "server", "--data", data.toString(),
                "reseal");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("re-sealed 0 stored EUKeys"), again.out());
    }

    /**
     * Verifies that a server started on a store of seal 1 keys re-seals them before it serves, and then opens them
     * (the key check value of each is its EUKey's).
     */
    @Test
    void serverStart_legacyStore_resealsThenOpensEveryKey() throws Exception {
        final Map<KeyId, byte[]> euKeys = storeLegacyKeys(5, false);
        HtdigestFile.addOrReplace(data.resolve("users.htdigest"), UserId.of("alice"), ServerConfig.DEFAULT_REALM,
                "pw".toCharArray());
        final Vertx vertx = Vertx.vertx();
        try {
            final ServerApplication server = ServerApplication.start(vertx, ServerConfig.defaults(data, 0))
                    .await(60, TimeUnit.SECONDS);
            try {
                int i = 0;
                for (final Map.Entry<KeyId, byte[]> e : euKeys.entrySet()) {
                    try (SecretBytes k = SecretBytes.copyOf(e.getValue())) {
                        assertEquals(java.util.Optional.of(KeyCheckValue.of(k)),
                                server.keyCheckValue(EntityId.of("pne-" + i++)).await(20, TimeUnit.SECONDS));
                    }
                }
            } finally {
                server.stop().await(60, TimeUnit.SECONDS);
            }
        } finally {
            vertx.close().await(20, TimeUnit.SECONDS);
        }
        assertTrue(storedKeys().stream().allMatch(k -> k.seal() == MasterKeySeal.V2));
    }

    /** Verifies that a key whose bytes belong to another row is left, audited, and makes the command exit 1. */
    @Test
    void reseal_keyNotMatchingItsRow_exitsOneAndAudits() throws Exception {
        storeLegacyKeys(3, true);
        final OfflineAdminCommandsTest.Run run = OfflineAdminCommandsTest.cpns("", "server", "--data", data.toString(),
                "reseal");
        assertEquals(1, run.code(), run.out() + run.err());
        assertTrue(run.out().contains("re-sealed 3 stored EUKeys") && run.out().contains("1 do not open"), run.out());
        final String audit = Files.readString(data.resolve("audit.jsonl"));
        assertTrue(audit.contains("\"event\":\"stored-key-unopenable\"") && audit.contains("\"keyId\":\"kx\""), audit);
    }

    /** Verifies that without the master key nothing is created and the command says what to give. */
    @Test
    void reseal_noMasterKey_failsNamingTheFile() {
        final OfflineAdminCommandsTest.Run run = OfflineAdminCommandsTest.cpns("", "server", "--data", data.toString(),
                "reseal");
        assertTrue(run.code() != 0);
        assertTrue(run.err().contains("no master key at"), run.err());
        assertTrue(Files.notExists(data.resolve(ServerConfig.MASTER_KEY_FILE)));
    }

    /** The (nonce, nc) pair an assignment records: one nonce, a new count per key. */
    private static DigestUse use(final long nc) {
        return new DigestUse(new byte[40], nc, Instant.now().plusSeconds(300));
    }
}
