package org.cpnskeys.deploy;

import picocli.CommandLine.Command;

/**
 * {@code cpns user}: manages the server's users (an Apache htdigest file). On a running server through its admin
 * API (token next to the users file); otherwise, or with --offline, in the file directly, which a running server
 * re-reads too. Each subcommand is a {@link UserSubcommand}.
 */
@Command(name = "user", mixinStandardHelpOptions = true,
        description = {"Manages CPNS Users: through the running server's admin API (token in the data folder), or",
                "in the server's htdigest file directly when the server is stopped."},
        subcommands = {UserAddCommand.class, UserRemoveCommand.class, UserListCommand.class})
public final class UserCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
