package org.cpnskeys.deploy;

import java.nio.file.Path;

import picocli.CommandLine.Option;

/** Where a gateway's state is, for the {@code cpns gateway} subcommands that act on its files. */
final class GatewayDataOptions {
    @Option(names = "--data", defaultValue = "${env:CPNS_GATEWAY_DATA:-cpns-data/gateway}", description = "Gateway state folder.")
    Path data;
}
