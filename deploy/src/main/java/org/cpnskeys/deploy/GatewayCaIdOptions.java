package org.cpnskeys.deploy;

import picocli.CommandLine.Option;

/** The Gateway ID that names the PAN CA, for the {@code cpns gateway} subcommands that issue certificates. */
final class GatewayCaIdOptions {
    @Option(names = "--id", defaultValue = "${env:CPNS_GATEWAY_ID:-home-gw}", description = "Gateway ID (names the CA).")
    String id;
}
