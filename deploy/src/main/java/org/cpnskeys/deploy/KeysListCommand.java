package org.cpnskeys.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.SecretFiles;
import org.cpnskeys.server.AuditLog;
import org.cpnskeys.server.ServerConfig;
import org.cpnskeys.server.admin.KeyCheckValues;
import org.cpnskeys.server.seal.SealSet;
import org.cpnskeys.server.seal.StoredKeySealer;
import org.cpnskeys.server.store.KeyInfo;
import org.cpnskeys.server.store.KeyState;
import org.cpnskeys.server.store.SqliteEuKeyRepository;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cpns keys list}. */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = {"Lists assigned EUKeys: entity, user, key id, state, gateway, time, and for each ACTIVE key its",
                "key check value (KCV: the first 3 bytes of AES-256-ECB(EUKey, zero block), docs/PROTOCOL.md",
                "section 11), which a device can compute from the key it holds to confirm it is the right one.",
                "Never key material. Offline, the KCV needs the server's master.key in --data."})
final class KeysListCommand extends KeysSubcommand {
    @Option(names = "--entity", description = "Only this entity's keys.")
    String entity;

    @Override
    int online(final AdminClient client) throws AdminClient.Unreachable {
        final String query = entity == null ? "keys" : "keys?entity=" + AdminClient.segment(entity);
        final List<Listed> keys = new ArrayList<>();
        AdminClient.expect(client.get(query), 200).getJsonArray("keys").forEach(o -> {
            final JsonObject k = (JsonObject) o;
            keys.add(new Listed(fromJson(k), k.containsKey("kcv") ? k.getString("kcv")
                    : k.containsKey("kcvUnavailable") ? UNOPENABLE : NONE));
        });
        print(keys);
        return 0;
    }

    @Override
    Future<Integer> offline(final SqliteEuKeyRepository store, final AuditLog audit) {
        return store.list().compose(all -> {
            final List<KeyInfo> keys = all.stream().filter(k -> entity == null || k.entityId().value().equals(entity))
                    .toList();
            final Path master = server.data.resolve(ServerConfig.MASTER_KEY_FILE);
            if (!Files.isRegularFile(master)) {
                System.err.println("no " + master + ": key check values are not shown");
                return Future.succeededFuture(keys.stream().map(k -> new Listed(k, NONE)).toList());
            }
            return vertx.executeBlocking(() -> SecretFiles.loadOrCreate(master, 32), false)
                    .compose(key -> new KeyCheckValues(vertx, store, new StoredKeySealer(SealSet.masterKeyFile(key),
                            org.cpnskeys.server.UnopenableKeyReport.of(org.cpnskeys.server.ServerMetrics.NOOP,
                                    audit))).of(keys).eventually(() -> destroy(key)))
                    .map(checks -> keys.stream().map(k -> new Listed(k, kcv(k, checks))).toList());
        }).map(listed -> {
            print(listed);
            return 0;
        });
    }

    private static final String NONE = "-";
    private static final String UNOPENABLE = "UNOPENABLE";

    private record Listed(KeyInfo key, String kcv) {
    }

    private static String kcv(final KeyInfo k, final Map<KeyId, KeyCheckValues.Check> checks) {
        final KeyCheckValues.Check c = checks.get(k.keyId());
        return c == null || k.state() != KeyState.ACTIVE ? NONE : c.kcv().orElse(UNOPENABLE);
    }

    private static Future<Void> destroy(final SecretBytes key) {
        key.destroy();
        return Future.succeededFuture();
    }

    private static void print(final List<Listed> keys) {
        System.out.printf("%-24s %-16s %-34s %-10s %-6s %-12s %s%n", "ENTITY", "USER", "KEY ID", "STATE", "KCV",
                "GATEWAY", "CREATED");
        for (final Listed l : keys) {
            final KeyInfo k = l.key();
            System.out.printf("%-24s %-16s %-34s %-10s %-6s %-12s %s%n", k.entityId(), k.userId(), k.keyId(),
                    k.state(), l.kcv(), k.gatewayId(), k.createdAt());
        }
    }
}
