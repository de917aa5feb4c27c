package org.cpnskeys.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.vertx.core.Vertx;

import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.SecretFiles;
import org.cpnskeys.server.seal.KeyBinding;
import org.cpnskeys.server.seal.ForwardingSeal;
import org.cpnskeys.server.seal.KeySeal;
import org.cpnskeys.server.seal.MasterKeySeal;
import org.cpnskeys.server.seal.Pkcs11Seal;
import org.cpnskeys.server.seal.Pkcs11SealConfig;
import org.cpnskeys.server.seal.SealSet;
import org.cpnskeys.server.seal.SoftHsmToken;
import org.cpnskeys.server.seal.StoredKeyResealer;
import org.cpnskeys.server.seal.StoredKeySealer;
import org.cpnskeys.server.seal.TestKeys;
import org.cpnskeys.server.store.EuKeyRepository;
import org.cpnskeys.server.store.StoredKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Moving the master key into a PKCS#11 token and back ({@link ResealJob#migrate}), on each store ({@link
 * SqliteMasterKeyMigrationIT}, {@link PgMasterKeyMigrationIT}): every stored EUKey moves and still opens to itself,
 * and a run stopped in the middle leaves every key openable under its old seal or its new one, finished by the next
 * run. The token is SoftHSM2's ({@link SoftHsmToken}).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
abstract class MasterKeyMigrationContract {
    private static final int KEYS = 20;
    private static final int BATCH = 5;

    @TempDir
    Path data;

    private Vertx vertx;
    private ServerConfig config;
    private Pkcs11SealConfig token;

    /** The configuration of a server whose data folder is {@code data}, on the store under test. */
    protected abstract ServerConfig storeConfig(Path data);

    @BeforeEach
    void start() {
        // each test its own key in the token
        token = SoftHsmToken.getOrSkip().config("migration-" + UUID.randomUUID());
        vertx = Vertx.vertx();
        config = storeConfig(data);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().await(30, TimeUnit.SECONDS);
    }

    /** Verifies that every key moves into the token and opens there to its EUKey, then back under the file. */
    @Test
    void migrate_toTokenThenBackToFile_everyKeyMovesAndOpensToItsEUKey() throws Exception {
        final Map<KeyId, byte[]> euKeys = storeKeysUnderTheFile();
        final StoredKeyResealer.Report in = migrate(ServerSeals.Target.PKCS11);
        assertEquals(new StoredKeyResealer.Report(KEYS, 0, 0, 0), in);
        assertEveryKeyUnderSealAndOpening(Pkcs11Seal.ID, euKeys);
        // what a server with the token opens (only its current seal) is every key
        try (ServerSeals server = ServerSeals.forServer(config.withPkcs11Seal(token))) {
            final StoredKeySealer sealer = new StoredKeySealer(server.seals(), StoredKeySealer.Listener.NONE);
            for (final StoredKey k : rows()) {
                try (SecretBytes opened = sealer.open(k)) {
                    assertArrayEquals(euKeys.get(k.keyId()), opened.reveal(), k.keyId().value());
                }
            }
        }
        assertEquals(new StoredKeyResealer.Report(0, 0, 0, 0), migrate(ServerSeals.Target.PKCS11), "nothing left");
        assertEquals(new StoredKeyResealer.Report(KEYS, 0, 0, 0), migrate(ServerSeals.Target.FILE));
        assertEveryKeyUnderSealAndOpening(MasterKeySeal.V2, euKeys);
    }

    /** Verifies that a move into the token stopped after some keys loses none, and that a new run finishes it. */
    @Test
    void migrate_toTokenStoppedAfterSomeKeys_everyKeyStillOpensAndRunningAgainFinishes() throws Exception {
        final Map<KeyId, byte[]> euKeys = storeKeysUnderTheFile();
        final SecretBytes master = masterKey();
        try (Pkcs11Seal inToken = Pkcs11Seal.open(token, true)) {
            stoppedAfterSevenKeys(new SealSet(new StopsAfter(7, inToken),
                    List.of(MasterKeySeal.v2(master), MasterKeySeal.v1(master))));
        } finally {
            master.destroy();
        }
        assertSplit(Pkcs11Seal.ID, MasterKeySeal.V2, euKeys);
        assertEquals(new StoredKeyResealer.Report(KEYS - BATCH, 0, 0, 0), migrate(ServerSeals.Target.PKCS11));
        assertEveryKeyUnderSealAndOpening(Pkcs11Seal.ID, euKeys);
    }

    /** Verifies that a move back under the file stopped after some keys loses none, and that a new run finishes it. */
    @Test
    void migrate_toFileStoppedAfterSomeKeys_everyKeyStillOpensAndRunningAgainFinishes() throws Exception {
        final Map<KeyId, byte[]> euKeys = storeKeysUnderTheFile();
        migrate(ServerSeals.Target.PKCS11);
        final SecretBytes master = masterKey();
        try (Pkcs11Seal inToken = Pkcs11Seal.open(token, false)) {
            stoppedAfterSevenKeys(new SealSet(new StopsAfter(7, MasterKeySeal.v2(master)),
                    List.of(MasterKeySeal.v1(master), inToken)));
        } finally {
            master.destroy();
        }
        assertSplit(MasterKeySeal.V2, Pkcs11Seal.ID, euKeys);
        assertEquals(new StoredKeyResealer.Report(KEYS - BATCH, 0, 0, 0), migrate(ServerSeals.Target.FILE));
        assertEveryKeyUnderSealAndOpening(MasterKeySeal.V2, euKeys);
    }

    /** Runs a re-sealing to {@code seals}' current seal, which fails at its eighth key (in the second batch). */
    private void stoppedAfterSevenKeys(final SealSet seals) {
        final Exception e = assertThrows(Exception.class,
                () -> ResealJob.run(vertx, config, seals, BATCH).await(60, TimeUnit.SECONDS));
        assertTrue(String.valueOf(e.getMessage()).contains("stopped"), String.valueOf(e));
    }

    /** The first batch under {@code moved}, the rest still under {@code left}: every key opens under its seal. */
    private void assertSplit(final int moved, final int left, final Map<KeyId, byte[]> euKeys) throws Exception {
        final List<StoredKey> rows = rows();
        assertEquals(BATCH, rows.stream().filter(k -> k.seal() == moved).count(), "the batch written before the stop");
        assertEquals(KEYS - BATCH, rows.stream().filter(k -> k.seal() == left).count(), "the keys not reached");
        assertEveryKeyOpens(rows, euKeys);
    }

    private StoredKeyResealer.Report migrate(final ServerSeals.Target target) throws Exception {
        return ResealJob.migrate(vertx, config, target, token, BATCH).await(60, TimeUnit.SECONDS);
    }

    private void assertEveryKeyUnderSealAndOpening(final int seal, final Map<KeyId, byte[]> euKeys) throws Exception {
        final List<StoredKey> rows = rows();
        assertEquals(KEYS, rows.size());
        assertTrue(rows.stream().allMatch(k -> k.seal() == seal), "every key under seal " + seal);
        assertEveryKeyOpens(rows, euKeys);
    }

    /** Each row opens, under the seal it names, to the EUKey stored in it. */
    private void assertEveryKeyOpens(final List<StoredKey> rows, final Map<KeyId, byte[]> euKeys) throws Exception {
        try (ServerSeals all = ServerSeals.forMigration(config, ServerSeals.Target.FILE, token)) {
            TestKeys.assertEveryKeyOpens(rows, euKeys, all.seals());
        }
    }

    private SecretBytes masterKey() throws Exception {
        return SecretFiles.loadOrCreate(config.secretFile(ServerConfig.MASTER_KEY_FILE), 32);
    }

    /** Stores {@value #KEYS} random EUKeys under seal 2 of a new master key file. */
    private Map<KeyId, byte[]> storeKeysUnderTheFile() throws Exception {
        final SecretBytes master = masterKey();
        final EuKeyRepository store = ServerApplication.openStore(vertx, config).await(30, TimeUnit.SECONDS);
        try {
            return TestKeys.store(store, new StoredKeySealer(SealSet.masterKeyFile(master), StoredKeySealer.Listener.NONE),
                    KEYS, "gw");
        } finally {
            store.close().await(30, TimeUnit.SECONDS);
            master.destroy();
        }
    }

    private List<StoredKey> rows() throws Exception {
        final EuKeyRepository store = ServerApplication.openStore(vertx, config).await(30, TimeUnit.SECONDS);
        try {
            return store.findNotSealedWith(Integer.MAX_VALUE, 0, 1000).await(30, TimeUnit.SECONDS).keys();
        } finally {
            store.close().await(30, TimeUnit.SECONDS);
        }
    }

    /** A seal that stops (fails, as a process killed there would) at its {@code n + 1}th key. */
    private static final class StopsAfter extends ForwardingSeal {
        private final int n;
        private final AtomicInteger sealed = new AtomicInteger();

        StopsAfter(final int n, final KeySeal seal) {
            super(seal);
            this.n = n;
        }

        @Override
        public byte[] seal(final SecretBytes euKey, final KeyBinding binding) {
            if (sealed.incrementAndGet() > n) {
                throw new IllegalStateException("stopped after " + n + " keys");
            }
            return super.seal(euKey, binding);
        }
    }
}
