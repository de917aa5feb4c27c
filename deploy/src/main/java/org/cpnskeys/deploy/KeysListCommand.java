package org.cpnskeys.deploy;

import java.util.ArrayList;
import java.util.List;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.server.AuditLog;
import org.cpnskeys.server.store.KeyInfo;
import org.cpnskeys.server.store.SqliteEuKeyRepository;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cpns keys list}. */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "Lists assigned EUKeys: entity, user, key id, state, gateway, time. Never key material.")
final class KeysListCommand extends KeysSubcommand {
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
