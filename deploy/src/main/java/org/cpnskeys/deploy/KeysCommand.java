package org.cpnskeys.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import io.vertx.core.Vertx;

import org.cpnskeys.server.store.KeyInfo;
import org.cpnskeys.server.store.SqliteEuKeyRepository;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cpns keys}: looks at the server's EUKey store (never at key material). */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Inspects the server's EUKey store.",
        subcommands = {KeysCommand.ListKeys.class})
public final class KeysCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** {@code cpns keys list}. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Lists assigned EUKeys: entity, user, key id, state, time. Never key material.")
    static final class ListKeys implements Callable<Integer> {
        @Option(names = "--data", defaultValue = "${env:CPNS_SERVER_DATA:-cpns-data/server}", description = "Server state folder.")
        Path data;

        @Override
        public Integer call() {
            final Path db = data.resolve("eukeys.db");
            if (!Files.exists(db)) {
                System.err.println("no key store at " + db);
                return 1;
            }
            final Vertx vertx = Vertx.vertx();
            try {
                final SqliteEuKeyRepository store = Cli.await(SqliteEuKeyRepository.open(vertx, db), "opening the key store");
                final List<KeyInfo> keys = Cli.await(store.list(), "listing");
                System.out.printf("%-24s %-16s %-34s %-10s %-12s %s%n", "ENTITY", "USER", "KEY ID", "STATE", "GATEWAY", "CREATED");
                for (final KeyInfo k : keys) {
                    System.out.printf("%-24s %-16s %-34s %-10s %-12s %s%n", k.entityId(), k.userId(), k.keyId(),
                            k.state(), k.gatewayId(), k.createdAt());
                }
                Cli.await(store.close(), "closing");
                return 0;
            } finally {
                vertx.close();
            }
        }
    }
}
