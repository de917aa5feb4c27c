package org.cpnskeys.deploy;

import java.nio.file.Path;

import picocli.CommandLine.Option;

/** Where a server's state is, for the commands that act on a server's files ({@code cpns keys ...}). */
final class ServerDataOptions {
    @Option(names = "--data", defaultValue = "${env:CPNS_SERVER_DATA:-cpns-data/server}",
            description = "Server state folder (env CPNS_SERVER_DATA; default ${DEFAULT-VALUE}).")
    Path data;
}
