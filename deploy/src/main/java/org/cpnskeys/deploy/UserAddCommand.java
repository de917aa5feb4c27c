package org.cpnskeys.deploy;

import java.io.BufferedReader;
import java.io.Console;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.UserId;
import org.cpnskeys.server.auth.DeploymentRealm;
import org.cpnskeys.server.auth.HtdigestFile;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cpns user add}: adds a user or changes their password, as Apache's htdigest does. */
@Command(name = "add", mixinStandardHelpOptions = true,
        description = {"Adds a user (or replaces their password) in an htdigest file that Apache's htdigest reads,",
                "and that the running server picks up. The password is asked twice on the terminal, or read",
                "from standard input with --password-stdin, or from a file with --password-file."})
final class UserAddCommand extends UserSubcommand {
    @Option(names = "--password-stdin", description = "Read the password from the first line of standard input.")
    boolean passwordStdin;

    @Option(names = "--password-file",
            description = "Read the password from the first line of this file (a container's mounted secret).")
    Path passwordFile;

    @Parameters(index = "0", description = "User ID.")
    String user;

    private char[] password;

    @Override
    void prepare() throws Exception {
        UserId.of(user);
        if (users.explicitRealm().isPresent()) {
            // a realm other than the users' is refused before the password is asked for
            DeploymentRealm.existing(users.dataDir(), users.file, users.explicitRealm());
        }
        password = readPassword();
        if (password.length == 0) {
            throw new IllegalArgumentException("empty password refused");
        }
    }

    @Override
    int online(final AdminClient client) throws AdminClient.Unreachable {
        try {
            final JsonObject r = AdminClient.expect(client.put("users/" + AdminClient.segment(user),
                    new JsonObject().put("password", new String(password))), 200, 201);
            System.out.println("user " + user + (r.getBoolean("created") ? " added" : ": password replaced")
                    + " on the running server (realm " + r.getString("realm") + ")");
            return 0;
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    @Override
    int offline() throws Exception {
        final UserId id = UserId.of(user);
        final String effective;
        try {
            effective = DeploymentRealm.resolve(users.dataDir(), users.file, users.explicitRealm());
            HtdigestFile.addOrReplace(users.file, id, effective, password);
        } finally {
            Arrays.fill(password, '\0');
        }
        audit("user-add", user, "done");
        System.out.println("user " + id + " saved in " + users.file + " (realm " + effective + ")");
        return 0;
    }

    private char[] readPassword() throws Exception {
        if (passwordFile != null) {
            return Cli.readSecret(passwordFile, "the password (--password-file)").toCharArray();
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
