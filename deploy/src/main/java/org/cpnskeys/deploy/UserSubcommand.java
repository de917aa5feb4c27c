package org.cpnskeys.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.cpnskeys.server.AuditLog;

import picocli.CommandLine.Mixin;

/**
 * What every {@code cpns user} subcommand shares: its options (the users file, the realm, the admin API) and its
 * course: through the running server's admin API when its token exists and the server answers, else in the file
 * directly.
 */
abstract class UserSubcommand implements Callable<Integer> {
    @Mixin
    UsersFileOptions users = new UsersFileOptions();

    @Mixin
    AdminOptions admin = new AdminOptions();

    @Override
    public Integer call() throws Exception {
        prepare();
        if (!admin.offline) {
            final Optional<AdminClient> client = AdminClient.ifTokenExists(admin.url, admin.tokenFile(users.dataDir()));
            if (client.isPresent()) {
                try {
                    return online(client.get());
                } catch (AdminClient.Unreachable e) {
                    System.err.println(e.getMessage() + ": the server is not running; editing " + users.file + " directly");
                }
            }
        }
        return offline();
    }

    /** Work before either path (reading a password). */
    void prepare() throws Exception {
    }

    abstract int online(AdminClient client) throws AdminClient.Unreachable;

    abstract int offline() throws Exception;

    void audit(final String action, final String user, final String outcome) {
        final Path auditFile = users.dataDir().resolve("audit.jsonl");
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
