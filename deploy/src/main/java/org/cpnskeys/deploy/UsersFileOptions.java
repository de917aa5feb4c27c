package org.cpnskeys.deploy;

import java.nio.file.Path;
import java.util.Optional;

import picocli.CommandLine.Option;

/** The server's htdigest file of users and its realm, for {@code cpns user ...}. */
final class UsersFileOptions {
    @Option(names = "--file", defaultValue = "${env:CPNS_USERS:-cpns-data/server/users.htdigest}",
            description = {"htdigest file, used when the server is stopped (default ${DEFAULT-VALUE});",
                    "a running server edits its own."})
    Path file;

    @Option(names = "--realm", defaultValue = "${env:CPNS_REALM}",
            description = {"Realm (env CPNS_REALM). Default: the server's, as it would start with this file: the",
                    "users' realm, else the one kept in the file's folder (<data>/realm), else a new one, kept there."})
    String realm;

    /** The file's folder, which is the server's data folder when the file is in its default place. */
    Path dataDir() {
        return file.toAbsolutePath().getParent();
    }

    Optional<String> explicitRealm() {
        return Optional.ofNullable(realm).filter(r -> !r.isEmpty());
    }
}
