package org.cpnskeys.deploy;

import java.io.BufferedReader;
import java.io.Console;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.UserId;
import org.cpnskeys.server.AuditLog;
import org.cpnskeys.server.auth.DeploymentRealm;
import org.cpnskeys.server.auth.HtdigestFile;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cpns user}: manages the server's users (an Apache htdigest file). On a running server through its admin
 * API (token next to the users file); otherwise, or with --offline, in the file directly, which a running server
 * re-reads too.
 */
@Command(name = "user", mixinStandardHelpOptions = true,
        description = {"Manages CPNS Users: through the running server's admin API (token in the data folder), or",
                "in the server's htdigest file directly when the server is stopped."},
        subcommands = {UserCommand.Add.class, UserCommand.Remove.class, UserCommand.ListUsers.class})
public final class UserCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** What every subcommand shares: the file, the realm and the admin API. */
    abstract static class Base implements Callable<Integer> {
        @Option(names = "--file", defaultValue = "${env:CPNS_USERS:-cpns-data/server/users.htdigest}",
                description = {"htdigest file, used when the server is stopped (default ${DEFAULT-VALUE});",
                        "a running server edits its own."})
        Path file;

        @Option(names = "--realm", defaultValue = "${env:CPNS_REALM}",
                description = {"Realm (env CPNS_REALM). Default: the server's, as it would start with this file: the",
                        "users' realm, else the one kept in the file's folder (<data>/realm), else a new one, kept there."})
        String realm;

        @Mixin
        AdminOptions admin = new AdminOptions();

        @Override
        public Integer call() throws Exception {
            prepare();
            if (!admin.offline) {
                final Optional<AdminClient> client = AdminClient.ifTokenExists(admin.url, admin.tokenFile(dataDir()));
                if (client.isPresent()) {
                    try {
                        return online(client.get());
                    } catch (AdminClient.Unreachable e) {
                        System.err.println(e.getMessage() + ": the server is not running; editing " + file + " directly");
                    }
                }
            }
            return offline();
        }

        /** Work before either path (reading a password). */
        void prepare() throws Exception {
        }

        /** The file's folder, which is the server's data folder when the file is in its default place. */
        Path dataDir() {
            return file.toAbsolutePath().getParent();
        }

        Optional<String> explicitRealm() {
            return Optional.ofNullable(realm).filter(r -> !r.isEmpty());
        }

        abstract int online(AdminClient client) throws AdminClient.Unreachable;

        abstract int offline() throws Exception;

        void audit(final String action, final String user, final String outcome) {
            final Path auditFile = dataDir().resolve("audit.jsonl");
            if (!Files.isDirectory(auditFile.getParent())) {
                return;
            }
            try (AuditLog log = AuditLog.open(auditFile)) {
                log.admin("cli-offline:" + System.getProperty("user.name", "unknown"), action, null, user, outcome, null);
            } catch (java.io.IOException e) {
                System.err.println("audit log not written: " + e.getMessage());
            }
        }
    }

    /** {@code cpns user add}: adds a user or changes their password, as Apache's htdigest does. */
    @Command(name = "add", mixinStandardHelpOptions = true,
            description = {"Adds a user (or replaces their password) in an htdigest file that Apache's htdigest reads,",
                    "and that the running server picks up. The password is asked twice on the terminal, or read",
                    "from standard input with --password-stdin, or from a file with --password-file."})
    static final class Add extends Base {
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
            if (explicitRealm().isPresent()) {
                // a realm other than the users' is refused before the password is asked for
                DeploymentRealm.existing(dataDir(), file, explicitRealm());
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
                effective = DeploymentRealm.resolve(dataDir(), file, explicitRealm());
                HtdigestFile.addOrReplace(file, id, effective, password);
            } finally {
                Arrays.fill(password, '\0');
            }
            audit("user-add", user, "done");
            System.out.println("user " + id + " saved in " + file + " (realm " + effective + ")");
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

    /** {@code cpns user remove}. */
    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = {"Removes a user: their next Key Request fails authentication. Their keys stay (see",
                    "`cpns keys revoke|release`). Exit code 3 if there is no such user."})
    static final class Remove extends Base {
        @Parameters(index = "0", description = "User ID.")
        String user;

        @Override
        int online(final AdminClient client) throws AdminClient.Unreachable {
            final AdminClient.Answer a = client.delete("users/" + AdminClient.segment(user));
            if (a.status() == 404) {
                System.err.println(a.body().getString("reason"));
                return 3;
            }
            AdminClient.expect(a, 200);
            System.out.println("user " + user + " removed from the running server");
            return 0;
        }

        @Override
        int offline() throws Exception {
            final Optional<String> effective = DeploymentRealm.existing(dataDir(), file, explicitRealm());
            if (effective.isEmpty() || !HtdigestFile.remove(file, UserId.of(user), effective.get())) {
                System.err.println("no user " + user + effective.map(r -> " in realm " + r).orElse("") + " in " + file);
                return 3;
            }
            audit("user-remove", user, "done");
            System.out.println("user " + user + " removed from " + file);
            return 0;
        }
    }

    /** {@code cpns user list}. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the user IDs (never their digests).")
    static final class ListUsers extends Base {
        @Override
        int online(final AdminClient client) throws AdminClient.Unreachable {
            AdminClient.expect(client.get("users"), 200).getJsonArray("users").forEach(System.out::println);
            return 0;
        }

        @Override
        int offline() throws Exception {
            final List<String> users = Files.exists(file) ? HtdigestFile.read(file).users() : List.of();
            users.forEach(System.out::println);
            return 0;
        }
    }
}
