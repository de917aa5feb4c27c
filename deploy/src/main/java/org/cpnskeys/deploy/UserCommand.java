package org.cpnskeys.deploy;

import java.io.BufferedReader;
import java.io.Console;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

import org.cpnskeys.protocol.UserId;
import org.cpnskeys.server.auth.HtdigestFile;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cpns user}: manages the server's users (an Apache htdigest file). */
@Command(name = "user", mixinStandardHelpOptions = true, description = "Manages CPNS Users in the server's htdigest file.",
        subcommands = {UserCommand.Add.class})
public final class UserCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** {@code cpns user add}: adds a user or changes their password, as Apache's htdigest does. */
    @Command(name = "add", mixinStandardHelpOptions = true,
            description = {"Adds a user (or replaces their password) in an htdigest file that Apache's htdigest reads,",
                    "and that the running server picks up. The password is asked twice on the terminal, or read",
                    "from standard input with --password-stdin, or from a file with --password-file."})
    static final class Add implements Callable<Integer> {
        @Option(names = "--file", defaultValue = "${env:CPNS_USERS:-cpns-data/server/users.htdigest}",
                description = "htdigest file (default ${DEFAULT-VALUE}).")
        Path file;

        @Option(names = "--realm", defaultValue = "${env:CPNS_REALM:-cpns}", description = "Realm (default ${DEFAULT-VALUE}).")
        String realm;

        @Option(names = "--password-stdin", description = "Read the password from the first line of standard input.")
        boolean passwordStdin;

        @Option(names = "--password-file",
                description = "Read the password from the first line of this file (a container's mounted secret).")
        Path passwordFile;

        @Parameters(index = "0", description = "User ID.")
        String user;

        @Override
        public Integer call() throws Exception {
            final UserId id = UserId.of(user);
            final char[] password = readPassword();
            try {
                if (password.length == 0) {
                    System.err.println("empty password refused");
                    return 2;
                }
                HtdigestFile.addOrReplace(file, id, realm, password);
            } finally {
                Arrays.fill(password, '\0');
            }
            System.out.println("user " + id + " saved in " + file + " (realm " + realm + ")");
            return 0;
        }

        private char[] readPassword() throws Exception {
            if (passwordFile != null) {
                return Cli.readSecret(passwordFile, "password").toCharArray();
            }
            final Console console = System.console();
            if (!passwordStdin && console != null) {
                final char[] first = console.readPassword("New password: ");
                final char[] again = console.readPassword("Re-type new password: ");
                if (first == null || again == null || !Arrays.equals(first, again)) {
                    throw new IllegalArgumentException("passwords do not match");
                }
                Arrays.fill(again, '\0');
                return first;
            }
            final String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (line == null) {
                throw new IllegalArgumentException("no password on standard input");
            }
            return line.toCharArray();
        }
    }
}
