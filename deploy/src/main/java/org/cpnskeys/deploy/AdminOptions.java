package org.cpnskeys.deploy;

import java.nio.file.Path;

import picocli.CommandLine.Option;

/** How {@code cpns keys} and {@code cpns user} reach a running server's admin API. */
final class AdminOptions {
    @Option(names = "--admin-url", defaultValue = "${env:CPNS_ADMIN_URL:-http://127.0.0.1:9102}",
            description = "The running server's admin API (env CPNS_ADMIN_URL; default ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--admin-token-file", defaultValue = "${env:CPNS_ADMIN_TOKEN_FILE}",
            description = {"The admin token the server generated at first start (env CPNS_ADMIN_TOKEN_FILE;",
                    "default: admin.token in the server's data folder). Without it, the store or file is edited directly."})
    Path tokenFile;

    @Option(names = "--offline", description = {"Act on the stopped server's files directly (SQLite store, htdigest",
            "file) instead of through the admin API."})
    boolean offline;

    Path tokenFile(final Path dataDir) {
        return tokenFile != null ? tokenFile : dataDir.resolve("admin.token");
    }
}
