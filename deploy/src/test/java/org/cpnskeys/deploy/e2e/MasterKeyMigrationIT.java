package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;

import org.cpnskeys.deploy.Cpns;
import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.pne.PneOutcome;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.crypto.KeyCheckValue;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.SecretFiles;
import org.cpnskeys.server.ServerConfig;
import org.cpnskeys.server.ServerSeals;
import org.cpnskeys.server.seal.Pkcs11Seal;
import org.cpnskeys.server.seal.Pkcs11SealConfig;
import org.cpnskeys.server.seal.SealSet;
import org.cpnskeys.server.seal.SoftHsmToken;
import org.cpnskeys.server.seal.StoredKeySealer;
import org.cpnskeys.server.seal.TestKeys;
import org.cpnskeys.server.store.SqliteEuKeyRepository;
import org.cpnskeys.server.store.StoredKey;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cpns server migrate-master-key --to pkcs11} on a server's SQLite store (SoftHSM2, {@link SoftHsmToken}),
 * then the server started with the token: it serves the keys sealed before and assigns new ones in the token. And the
 * same command SIGKILLed in the middle: no key lost, the next run finishes.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class MasterKeyMigrationIT {
    @TempDir
    Path dir;

    private SoftHsmToken token;
    private String label;

    @BeforeEach
    void token() {
        token = SoftHsmToken.getOrSkip();
        label = "cli-" + java.util.UUID.randomUUID();
    }

    /**
     * Verifies that after the migration the server, started with the token and with no master key file, opens the
     * keys stored before (their key check values are their EUKeys') and assigns a new key to a PNE, sealed in the
     * token, whose key check value the PNE and the server agree on.
     */
    @Test
    void migrateToToken_thenServerWithTheToken_servesOldKeysAndAssignsNewOnes() throws Exception {
        final Path serverDir = dir.resolve("server");
        final Map<KeyId, byte[]> before = storeKeysUnderTheFile(serverDir, 3);
        assertEquals(0, cpns(serverDir, "--to", "pkcs11", "--batch-size", "2"), "migration exit code");
        assertTrue(rows(serverDir).stream().allMatch(k -> k.seal() == Pkcs11Seal.ID), "every key in the token");
        // the file key is of no use any more: a server with the token neither needs nor makes one
        Files.delete(serverDir.resolve(ServerConfig.MASTER_KEY_FILE));
        final Pkcs11SealConfig inToken = token.config(label);
        try (Fixture f = new Fixture(dir, LocalSystem.Options.defaults().withServerConfig(c -> c.withPkcs11Seal(inToken)))) {
            int i = 0;
            for (final byte[] euKey : before.values()) {
                try (SecretBytes k = SecretBytes.copyOf(euKey)) {
                    assertEquals(Optional.of(KeyCheckValue.of(k)), f.serverKcv("pne-" + i++), "a key stored before");
                }
            }
            final PneOutcome o = f.runPne("hsm-new", Optional.empty());
            assertTrue(o.stored(), o.reason());
            assertEquals(o.keyCheckValue(), f.serverKcv("hsm-new"), "the PNE holds the key sealed in the token");
        }
        final List<StoredKey> rows = rows(serverDir);
        assertEquals(4, rows.size());
        assertTrue(rows.stream().allMatch(k -> k.seal() == Pkcs11Seal.ID), "the new key sealed in the token too");
        assertFalse(Files.exists(serverDir.resolve(ServerConfig.MASTER_KEY_FILE)), "no master key file made");
    }

    /**
     * Verifies that the migration process killed (SIGKILL) after it moved some keys leaves every key opening under
     * the seal its row names, and that running the command again moves the rest.
     */
    @Test
    void migrateToToken_processKilledInTheMiddle_everyKeyOpensAndRunningAgainFinishes() throws Exception {
        final int total = 1500;
        final Path serverDir = dir.resolve("server");
        final Map<KeyId, byte[]> euKeys = storeKeysUnderTheFile(serverDir, total);
        final Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "org.cpnskeys.deploy.Cpns", "server", "--data",
                serverDir.toString(), "migrate-master-key", "--to", "pkcs11", "--batch-size", "1", "--pkcs11-library",
                token.library.toString(), "--pkcs11-slot", Long.toString(token.slot), "--pkcs11-key-label", label,
                "--pkcs11-pin-file", token.pinFile.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("migration.log").toFile()).start();
        try {
            Fixture.eventually(Duration.ofSeconds(120), "the migration moved a key", () -> moved(serverDir) > 0);
        } finally {
            p.destroyForcibly();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        }
        final long moved = moved(serverDir);
        assertTrue(moved > 0 && moved < total, "killed in the middle: " + moved + " of " + total + " moved");
        assertEveryKeyOpensUnderItsSeal(serverDir, euKeys);
        assertEquals(0, cpns(serverDir, "--to", "pkcs11"), "the second run");
        assertEquals(total, moved(serverDir), "every key in the token");
        assertEveryKeyOpensUnderItsSeal(serverDir, euKeys);
    }

    private int cpns(final Path serverDir, final String... migrationArgs) {
        final List<String> args = new ArrayList<>(List.of("server", "--data", serverDir.toString(), "migrate-master-key",
                "--pkcs11-library", token.library.toString(), "--pkcs11-slot", Long.toString(token.slot),
                "--pkcs11-key-label", label, "--pkcs11-pin-file", token.pinFile.toString()));
        args.addAll(List.of(migrationArgs));
        return Cpns.commandLine().execute(args.toArray(String[]::new));
    }

    private long moved(final Path serverDir) {
        try {
            return rows(serverDir).stream().filter(k -> k.seal() == Pkcs11Seal.ID).count();
        } catch (Exception e) {
            return 0;
        }
    }

    private void assertEveryKeyOpensUnderItsSeal(final Path serverDir, final Map<KeyId, byte[]> euKeys)
            throws Exception {
        try (ServerSeals all = ServerSeals.forMigration(ServerConfig.defaults(serverDir, 0), ServerSeals.Target.FILE,
                token.config(label))) {
            TestKeys.assertEveryKeyOpens(rows(serverDir), euKeys, all.seals());
        }
    }

    /** Stores {@code n} random EUKeys under seal 2 of a new master key file in {@code serverDir}. */
    private static Map<KeyId, byte[]> storeKeysUnderTheFile(final Path serverDir, final int n) throws Exception {
        SecretFiles.ownerOnlyDirectory(serverDir);
        final SecretBytes master = SecretFiles.loadOrCreate(serverDir.resolve(ServerConfig.MASTER_KEY_FILE), 32);
        final Vertx vertx = Vertx.vertx();
        try {
            final SqliteEuKeyRepository store = SqliteEuKeyRepository.open(vertx, serverDir.resolve("eukeys.db"))
                    .await(30, TimeUnit.SECONDS);
            try {
                return TestKeys.store(store, new StoredKeySealer(SealSet.masterKeyFile(master),
                        StoredKeySealer.Listener.NONE), n, "home-gw");
            } finally {
                store.close().await(30, TimeUnit.SECONDS);
            }
        } finally {
            master.destroy();
            vertx.close().await(30, TimeUnit.SECONDS);
        }
    }

    private static List<StoredKey> rows(final Path serverDir) throws Exception {
        final Vertx vertx = Vertx.vertx();
        try {
            final SqliteEuKeyRepository store = SqliteEuKeyRepository.open(vertx, serverDir.resolve("eukeys.db"))
                    .await(30, TimeUnit.SECONDS);
            try {
                return store.findNotSealedWith(Integer.MAX_VALUE, 0, 100_000).await(30, TimeUnit.SECONDS).keys();
            } finally {
                store.close().await(30, TimeUnit.SECONDS);
            }
        } finally {
            vertx.close().await(30, TimeUnit.SECONDS);
        }
    }

}
