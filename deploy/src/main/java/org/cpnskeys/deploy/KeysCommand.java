package org.cpnskeys.deploy;

import picocli.CommandLine.Command;

/**
 * {@code cpns keys}: lists, shows (with consent receipts), revokes and releases the server's EUKeys (never key material). On a running server
 * through its admin API; on a stopped one (no answer at --admin-url, or --offline) on its SQLite store directly.
 * Each subcommand is a {@link KeysSubcommand}.
 */
@Command(name = "keys", mixinStandardHelpOptions = true,
        description = {"Lists, revokes and releases EUKeys. Acts on the running server through its admin API",
                "(token in <data>/admin.token); on the SQLite store directly when the server is stopped."},
        subcommands = {KeysListCommand.class, KeysShowCommand.class, KeysRevokeCommand.class, KeysReleaseCommand.class})
public final class KeysCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
