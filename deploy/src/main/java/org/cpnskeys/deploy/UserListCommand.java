package org.cpnskeys.deploy;

import java.nio.file.Files;
import java.util.List;

import org.cpnskeys.server.auth.HtdigestFile;

import picocli.CommandLine.Command;

/** {@code cpns user list}. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the user IDs (never their digests).")
final class UserListCommand extends UserSubcommand {
    @Override
    int online(final AdminClient client) throws AdminClient.Unreachable {
        AdminClient.expect(client.get("users"), 200).getJsonArray("users").forEach(System.out::println);
        return 0;
    }

    @Override
    int offline() throws Exception {
        final List<String> ids = Files.exists(users.file) ? HtdigestFile.read(users.file).users() : List.of();
        ids.forEach(System.out::println);
        return 0;
    }
}
