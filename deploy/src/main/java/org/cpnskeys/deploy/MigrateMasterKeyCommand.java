package org.cpnskeys.deploy;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;

import io.vertx.core.Vertx;

import org.cpnskeys.server.ResealJob;
import org.cpnskeys.server.ServerConfig;
import org.cpnskeys.server.ServerSeals;
import org.cpnskeys.server.seal.StoredKeyResealer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code cpns server [store options] migrate-master-key --to pkcs11|file}: moves every stored EUKey under the master
 * key in a PKCS#11 token, or back under the master key file, with the re-sealing run of {@code reseal}: a crash in
 * the middle loses nothing (each key is under its old seal or its new one, and both open) and the next run finishes
 * the job.
 */
@Command(name = "migrate-master-key", mixinStandardHelpOptions = true,
        description = {"Moves every stored EUKey under another master key, in batches (one transaction each):",
                "--to pkcs11 seals them in a PKCS#11 token (AES-256-GCM computed in the token under a key that never",
                "leaves it; the key is made there under --pkcs11-key-label if missing), --to file under master.key.",
                "Stopped in the middle, every key still opens; run it again to finish. Then start the server with",
                "--master-key pkcs11 (or file) and the same --pkcs11-* options (given here, or to 'server'). Uses the server's --data, --store/--pg-*",
                "and --shared-secrets, given before 'migrate-master-key'. Exits 1 if a key does not open under its seal."})
final class MigrateMasterKeyCommand implements Callable<Integer> {
    @ParentCommand
    ServerCommand server;

    @Option(names = "--to", required = true, description = "Where the master key is to be: pkcs11 or file.")
    String to;

    @Mixin
    Pkcs11Options pkcs11 = new Pkcs11Options();

    @Option(names = "--batch-size", defaultValue = "" + StoredKeyResealer.DEFAULT_BATCH,
            description = "Keys per transaction (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Override
    public Integer call() {
        final ServerSeals.Target target = switch (to.toLowerCase(Locale.ROOT)) {
            case "pkcs11" -> ServerSeals.Target.PKCS11;
            case "file" -> ServerSeals.Target.FILE;
            default -> throw new IllegalArgumentException("--to must be pkcs11 or file, not " + to);
        };
        final ServerConfig config = server.storeConfig();
        // the token's options after 'migrate-master-key', else the server's (given before it)
        final Pkcs11Options token = pkcs11.given() ? pkcs11 : server.pkcs11;
        final Vertx vertx = Cli.newVertx();
        try {
            final StoredKeyResealer.Report r = Cli.await(ResealJob.migrate(vertx, config, target,
                    token.config("migrate-master-key --to " + to), batchSize), "moving the master key",
                    Duration.ofHours(1));
            System.out.printf("re-sealed %d stored EUKeys under the master key %s (%d re-sealed meanwhile by a running"
                    + " server); %d do not open under their seal; %d carry a seal this server does not know%n",
                    r.resealed(), target == ServerSeals.Target.PKCS11 ? "in the PKCS#11 token" : "file",
                    r.changedMeanwhile(), r.unopenable(), r.unknownSeal());
            if (r.complete()) {
                System.out.println("start the server with --master-key " + target.name().toLowerCase(Locale.ROOT)
                        + (target == ServerSeals.Target.PKCS11 ? " and the same --pkcs11-* options" : ""));
            }
            return r.complete() ? 0 : 1;
        } finally {
            Cli.await(vertx.close(), "closing");
        }
    }
}
