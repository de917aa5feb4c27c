package org.cpnskeys.server;

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
 * server reports them.
 */
public final class ResealJob {
    private ResealJob() {
    }

    /** Re-seals every key of {@code config}'s store under the current seal; the master key must exist already. */
    public static Future<StoredKeyResealer.Report> run(final Vertx vertx, final ServerConfig config,
            final int batchSize) {
        return vertx.executeBlocking(() -> {
            final Path file = config.secretFile(ServerConfig.MASTER_KEY_FILE);
            if (!Files.isRegularFile(file)) {
                throw new IllegalStateException("no master key at " + file + ": give the server's --data (and"
                        + " --shared-secrets, if it uses them); nothing is created here");
            }
            return new Opened(SecretFiles.loadOrCreate(file, 32), AuditLog.open(config.dataDir().resolve("audit.jsonl")));
        }, false).compose(opened -> ServerApplication.openStore(vertx, config)
                .compose(store -> new StoredKeyResealer(vertx, store, new StoredKeySealer(
                        SealSet.masterKeyFile(opened.masterKey()),
                        ServerApplication.unopenableKeyReport(ServerMetrics.NOOP, opened.audit())), batchSize).run()
                        .eventually(store::close))
                .eventually(() -> vertx.executeBlocking(() -> {
                    opened.audit().close();
                    opened.masterKey().destroy();
                    return null;
                }, false)));
    }

    private record Opened(SecretBytes masterKey, AuditLog audit) {
    }
}
