package org.cpnskeys.deploy;

import java.util.Optional;

import org.cpnskeys.protocol.UserId;
import org.cpnskeys.server.auth.DeploymentRealm;
import org.cpnskeys.server.auth.HtdigestFile;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code cpns user remove}. */
@Command(name = "remove", mixinStandardHelpOptions = true,
        description = {"Removes a user: their next Key Request fails authentication. Their keys stay (see",
                "`cpns keys revoke|release`). Exit code 3 if there is no such user."})
final class UserRemoveCommand extends UserSubcommand {
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
        final Optional<String> effective = DeploymentRealm.existing(users.dataDir(), users.file, users.explicitRealm());
        if (effective.isEmpty() || !HtdigestFile.remove(users.file, UserId.of(user), effective.get())) {
            System.err.println("no user " + user + effective.map(r -> " in realm " + r).orElse("") + " in " + users.file);
            return 3;
        }
        audit("user-remove", user, "done");
        System.out.println("user " + user + " removed from " + users.file);
        return 0;
    }
}
