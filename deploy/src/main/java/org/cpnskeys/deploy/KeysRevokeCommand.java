package org.cpnskeys.deploy;

import io.vertx.core.Future;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.server.AuditLog;
import org.cpnskeys.server.store.SqliteEuKeyRepository;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cpns keys revoke}. */
@Command(name = "revoke", mixinStandardHelpOptions = true,
        description = {"Revokes an entity's active EUKey (state REVOKED). The entity stays with its user; the",
                "user's next Key Request for it gets a new key. Exit code 3 if it has no active key."})
final class KeysRevokeCommand extends KeysSubcommand {
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
