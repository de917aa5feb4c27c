package org.cpnskeys.deploy;

import java.util.concurrent.Callable;

import io.vertx.core.Vertx;

import org.cpnskeys.server.ResealJob;
import org.cpnskeys.server.ServerConfig;
import org.cpnskeys.server.seal.StoredKeyResealer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code cpns server [store options] reseal}: re-seals every stored EUKey under the current seal now, as every
 * server does at start. Safe on a stopped server and next to running ones; a crash in the middle loses nothing and
 * the next run finishes the job.
 */
@Command(name = "reseal", mixinStandardHelpOptions = true,
        description = {"Re-seals every stored EUKey under the current seal (AES-256-GCM under master.key, or in the",
                "PKCS#11 token with --master-key pkcs11; bound to entity, Key ID, user, request ID and gateway), in",
                "batches, as every server does at start. Uses the server's --data, --store/--pg-*, --shared-secrets",
                "and --master-key/--pkcs11-*, given before 'reseal'. Exits 1 if a key",
                "does not open under its seal (reported in the log and <data>/audit.jsonl; never delivered)."})
final class ResealCommand implements Callable<Integer> {
    @ParentCommand
    ServerCommand server;

    @Option(names = "--batch-size", defaultValue = "" + StoredKeyResealer.DEFAULT_BATCH,
            description = "Keys per transaction (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Override
    public Integer call() {
        final ServerConfig config = server.offlineConfig();
        final Vertx vertx = Cli.newVertx();
        try {
            final StoredKeyResealer.Report r = Cli.await(ResealJob.run(vertx, config, batchSize), "re-sealing",
                    java.time.Duration.ofHours(1));
            System.out.printf("re-sealed %d stored EUKeys (%d re-sealed meanwhile by a running server); %d do not open"
                    + " under their seal; %d carry a seal this server does not know%n", r.resealed(),
                    r.changedMeanwhile(), r.unopenable(), r.unknownSeal());
            return r.complete() ? 0 : 1;
        } finally {
            Cli.await(vertx.close(), "closing");
        }
    }
}
