package org.cpnskeys.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.SecretFiles;
import org.cpnskeys.server.seal.Pkcs11SealConfig;
import org.cpnskeys.server.seal.SealSet;
import org.cpnskeys.server.seal.StoredKeyResealer;
import org.cpnskeys.server.seal.StoredKeySealer;

/**
 * One re-sealing run on a server's store outside a running server ({@code cpns server reseal}): what every server
 * does at start, for an operator who wants it now, on a stopped server or next to running ones (the store's compare
 * and set keeps concurrent runs apart). Unopenable keys are reported in the server's audit log like a running
 * server reports them. A command that moves keys to another seal (another master key, a key in a PKCS#11 token)
 * runs {@link #run(Vertx, ServerConfig, SealSet, int)} with that seal as the current one and the old ones retired.
 */
public final class ResealJob {
    private ResealJob() {
    }

    /**
     * Re-seals every key of {@code config}'s store under the current seal a server of {@code config} would use: its
     * PKCS#11 token's key when it names one, else seal 2 of its master key file, which must exist.
     */
    public static Future<StoredKeyResealer.Report> run(final Vertx vertx, final ServerConfig config,
            final int batchSize) {
        if (config.pkcs11Seal().isPresent()) {
            return withSeals(vertx, config, () -> ServerSeals.forServer(config), batchSize);
        }
        return vertx.executeBlocking(() -> loadMasterKey(config), false)
                .compose(masterKey -> run(vertx, config, SealSet.masterKeyFile(masterKey), batchSize)
                        .eventually(() -> {
                            masterKey.destroy();
                            return Future.succeededFuture();
                        }));
    }

    /**
     * Moves every stored EUKey of {@code config}'s store to {@code target} ({@code cpns server migrate-master-key}):
     * each key is opened under its seal (master key file or {@code token}) and sealed again under the target's, in
     * batches of {@code batchSize}, each batch one transaction. Stopped in the middle (a crash, a SIGKILL, a token
     * error), every key is under its old seal or its new one, both of which this opens, and running it again
     * finishes the job. To the token, the key labelled in {@code token} is made there if missing.
     */
    public static Future<StoredKeyResealer.Report> migrate(final Vertx vertx, final ServerConfig config,
            final ServerSeals.Target target, final Pkcs11SealConfig token, final int batchSize) {
        return withSeals(vertx, config, () -> ServerSeals.forMigration(config, target, token), batchSize);
    }

    private static Future<StoredKeyResealer.Report> withSeals(final Vertx vertx, final ServerConfig config,
            final java.util.concurrent.Callable<ServerSeals> seals, final int batchSize) {
        return vertx.executeBlocking(seals, false).compose(s -> run(vertx, config, s.seals(), batchSize)
                .eventually(() -> vertx.executeBlocking(() -> {
                    s.close();
                    return null;
                }, false)));
    }

    /** Re-seals every key of {@code config}'s store under {@code seals}' current seal, opening any of its seals. */
    public static Future<StoredKeyResealer.Report> run(final Vertx vertx, final ServerConfig config,
            final SealSet seals, final int batchSize) {
        return vertx.executeBlocking(() -> AuditLog.open(config.dataDir().resolve("audit.jsonl")), false)
                .compose(audit -> ServerApplication.openStore(vertx, config)
                        .compose(store -> new StoredKeyResealer(vertx, store, new StoredKeySealer(seals,
                                UnopenableKeyReport.of(ServerMetrics.NOOP, audit)), batchSize).run()
                                .eventually(store::close))
                        .eventually(() -> vertx.executeBlocking(() -> {
                            audit.close();
                            return null;
                        }, false)));
    }

    /** The existing master key of {@code config} (never created here: a new one would open nothing). Blocking. */
    public static SecretBytes loadMasterKey(final ServerConfig config) throws IOException {
        final Path file = config.secretFile(ServerConfig.MASTER_KEY_FILE);
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("no master key at " + file + ": give the server's --data (and"
                    + " --shared-secrets, if it uses them); nothing is created here");
        }
        return SecretFiles.loadOrCreate(file, 32);
    }
}
