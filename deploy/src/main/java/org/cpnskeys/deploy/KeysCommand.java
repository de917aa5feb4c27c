package org.cpnskeys.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cpns keys}: lists, revokes and releases the server's EUKeys (never key material). On a running server
 * through its admin API; on a stopped one (no answer at --admin-url, or --offline) on its SQLite store directly.
 */
@Command(name = "keys", mixinStandardHelpOptions = true,
        description = {"Lists, revokes and releases EUKeys. Acts on the running server through its admin API",
                "(token in <data>/admin.token); on the SQLite store directly when the server is stopped."},
        subcommands = {KeysCommand.ListKeys.class, KeysCommand.Revoke.class, KeysCommand.Release.class})
public final class KeysCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** What every subcommand shares: where the server's data and admin API are. */
    abstract static class Base implements Callable<Integer> {
        @Option(names = "--data", defaultValue = "${env:CPNS_SERVER_DATA:-cpns-data/server}",
                description = "Server state folder (env CPNS_SERVER_DATA; default ${DEFAULT-VALUE}).")
        Path data;

        @Mixin
        AdminOptions admin = new AdminOptions();

        @Override
        public Integer call() throws Exception {
            if (!admin.offline) {
                final Optional<AdminClient> client = AdminClient.ifTokenExists(admin.url, admin.tokenFile(data));
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
            return data.resolve("eukeys.db");
        }

        private int offlineOnStore() throws Exception {
            final Path db = store();
            if (!Files.exists(db)) {
                System.err.println("no key store at " + db + " (a server on PostgreSQL is reached through its admin API only)");
                return 1;
            }
            final Vertx vertx = Cli.newVertx();
            try (AuditLog audit = AuditLog.open(data.resolve("audit.jsonl"))) {
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
    }

    /** {@code cpns keys list}. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Lists assigned EUKeys: entity, user, key id, state, gateway, time. Never key material.")
    static final class ListKeys extends Base {
        @Option(names = "--entity", description = "Only this entity's keys.")
        String entity;

        @Override
        int online(final AdminClient client) throws AdminClient.Unreachable {
            final String query = entity == null ? "keys" : "keys?entity=" + AdminClient.segment(entity);
            final List<KeyInfo> keys = new ArrayList<>();
            AdminClient.expect(client.get(query), 200).getJsonArray("keys")
                    .forEach(o -> keys.add(fromJson((JsonObject) o)));
            print(keys);
            return 0;
        }

        @Override
        Future<Integer> offline(final SqliteEuKeyRepository store, final AuditLog audit) {
            return store.list().map(all -> {
                print(all.stream().filter(k -> entity == null || k.entityId().value().equals(entity)).toList());
                return 0;
            });
        }

        private static void print(final List<KeyInfo> keys) {
            System.out.printf("%-24s %-16s %-34s %-10s %-12s %s%n", "ENTITY", "USER", "KEY ID", "STATE", "GATEWAY", "CREATED");
            for (final KeyInfo k : keys) {
                System.out.printf("%-24s %-16s %-34s %-10s %-12s %s%n", k.entityId(), k.userId(), k.keyId(),
                        k.state(), k.gatewayId(), k.createdAt());
            }
        }
    }

    /** {@code cpns keys revoke}. */
    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = {"Revokes an entity's active EUKey (state REVOKED). The entity stays with its user; the",
                    "user's next Key Request for it gets a new key. Exit code 3 if it has no active key."})
    static final class Revoke extends Base {
        @Option(names = "--entity", required = true, description = "Entity ID whose key is revoked.")
        String entity;

        @Override
        int online(final AdminClient client) throws AdminClient.Unreachable {
            return changed(client.post("keys/" + AdminClient.segment(entity) + "/revoke"), "revoked");
        }

        @Override
        Future<Integer> offline(final SqliteEuKeyRepository store, final AuditLog audit) {
            return store.revoke(EntityId.of(entity)).map(k -> changedOffline(k, audit, "revoke", entity,
                    "has no active key", "revoked"));
        }
    }

    /** {@code cpns keys release}. */
    @Command(name = "release", mixinStandardHelpOptions = true,
            description = {"Releases an entity: its key is withdrawn (state RELEASED) and any user may claim the",
                    "entity with their next Key Request. Exit code 3 if nobody holds it."})
    static final class Release extends Base {
        @Option(names = "--entity", required = true, description = "Entity ID to release.")
        String entity;

        @Override
        int online(final AdminClient client) throws AdminClient.Unreachable {
            return changed(client.post("keys/" + AdminClient.segment(entity) + "/release"), "released");
        }

        @Override
        Future<Integer> offline(final SqliteEuKeyRepository store, final AuditLog audit) {
            return store.release(EntityId.of(entity)).map(k -> changedOffline(k, audit, "release", entity,
                    "is held by nobody", "released"));
        }
    }

    private static int changed(final AdminClient.Answer a, final String done) {
        if (a.status() == 404) {
            System.err.println(a.body().getString("reason"));
            return 3;
        }
        final KeyInfo k = fromJson(AdminClient.expect(a, 200).getJsonObject("key"));
        System.out.println(done + ": entity " + k.entityId() + ", user " + k.userId() + ", key id " + k.keyId());
        return 0;
    }

    private static int changedOffline(final Optional<KeyInfo> k, final AuditLog audit, final String action,
            final String entity, final String none, final String done) {
        if (k.isEmpty()) {
            audit.admin(Base.actor(), action, entity, null, "not_found", "entity " + entity + " " + none);
            System.err.println("entity " + entity + " " + none);
            return 3;
        }
        audit.admin(Base.actor(), action, entity, k.get().userId().value(), "done", null);
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
