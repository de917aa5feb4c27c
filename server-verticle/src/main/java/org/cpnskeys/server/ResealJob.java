package org.cpnskeys.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.SecretFiles;
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

    /** Re-seals every key of {@code config}'s store under seal 2 of its master key file, which must exist. */
    public static Future<StoredKeyResealer.Report> run(final Vertx vertx, final ServerConfig config,
            final int batchSize) {
        return vertx.executeBlocking(() -> loadMasterKey(config), false)
                .compose(masterKey -> run(vertx, config, SealSet.masterKeyFile(masterKey), batchSize)
                        .eventually(() -> {
                            masterKey.destroy();
                            return Future.succeededFuture();
                        }));
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
