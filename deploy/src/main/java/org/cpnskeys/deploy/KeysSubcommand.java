package org.cpnskeys.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.server.AuditLog;
import org.cpnskeys.server.store.KeyInfo;
import org.cpnskeys.server.store.KeyState;
import org.cpnskeys.server.store.SqliteEuKeyRepository;

import picocli.CommandLine.Mixin;

/**
 * What every {@code cpns keys} subcommand shares: its options (where the server's data and admin API are) and its
 * course: through the running server's admin API when its token exists and the server answers, else on the SQLite
 * store directly.
 */
abstract class KeysSubcommand implements Callable<Integer> {
    @Mixin
    ServerDataOptions server = new ServerDataOptions();

    @Mixin
    AdminOptions admin = new AdminOptions();

    /** The Vert.x instance of an offline run, for {@link #offline} (set before it is called). */
    Vertx vertx;

    @Override
    public Integer call() throws Exception {
        if (!admin.offline) {
            final Optional<AdminClient> client = AdminClient.ifTokenExists(admin.url, admin.tokenFile(server.data));
            if (client.isPresent()) {
                try {
                    return online(client.get());
                } catch (AdminClient.Unreachable e) {
                    System.err.println(e.getMessage() + ": the server is not running; using " + store() + " directly");
                }
            }
        }
        return offlineOnStore();
    }

    abstract int online(AdminClient client) throws AdminClient.Unreachable;

    abstract Future<Integer> offline(SqliteEuKeyRepository store, AuditLog audit);

    Path store() {
        return server.data.resolve("eukeys.db");
    }

    private int offlineOnStore() throws Exception {
        final Path db = store();
        if (!Files.exists(db)) {
            System.err.println("no key store at " + db + " (a server on PostgreSQL is reached through its admin API only)");
            return 1;
        }
        vertx = Cli.newVertx();
        try (AuditLog audit = AuditLog.open(server.data.resolve("audit.jsonl"))) {
            final SqliteEuKeyRepository repo = Cli.await(SqliteEuKeyRepository.open(vertx, db), "opening the key store");
            try {
                return Cli.await(offline(repo, audit), "the store");
            } finally {
                Cli.await(repo.close(), "closing");
            }
        } finally {
            vertx.close();
        }
    }

    static String actor() {
        return "cli-offline:" + System.getProperty("user.name", "unknown");
    }

    /** Prints what the admin API changed; exit code 3 when it knew no such key (404). */
    static int changed(final AdminClient.Answer a, final String done) {
        if (a.status() == 404) {
            System.err.println(a.body().getString("reason"));
            return 3;
        }
        final KeyInfo k = fromJson(AdminClient.expect(a, 200).getJsonObject("key"));
        System.out.println(done + ": entity " + k.entityId() + ", user " + k.userId() + ", key id " + k.keyId());
        return 0;
    }

    /** Audits and prints what the store changed; exit code 3 when there was nothing to change. */
    static int changedOffline(final Optional<KeyInfo> k, final AuditLog audit, final String action,
            final String entity, final String none, final String done) {
        if (k.isEmpty()) {
            audit.admin(actor(), action, entity, null, "not_found", "entity " + entity + " " + none);
            System.err.println("entity " + entity + " " + none);
            return 3;
        }
        audit.admin(actor(), action, entity, k.get().userId().value(), "done", null);
        System.out.println(done + ": entity " + entity + ", user " + k.get().userId() + ", key id " + k.get().keyId());
        return 0;
    }

    static KeyInfo fromJson(final JsonObject o) {
        return new KeyInfo(EntityId.of(o.getString("entity")), UserId.of(o.getString("user")),
                GatewayId.of(o.getString("gateway")), RequestId.of(o.getString("requestId")),
                KeyId.of(o.getString("keyId")), o.getBoolean("proxy"), Instant.parse(o.getString("createdAt")),
                KeyState.valueOf(o.getString("state")));
    }
}
