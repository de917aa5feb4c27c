package org.cpnskeys.deploy;

import io.vertx.core.Future;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.server.AuditLog;
import org.cpnskeys.server.store.SqliteEuKeyRepository;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cpns keys release}. */
@Command(name = "release", mixinStandardHelpOptions = true,
        description = {"Releases an entity: its key is withdrawn (state RELEASED) and any user may claim the",
                "entity with their next Key Request. Exit code 3 if nobody holds it."})
final class KeysReleaseCommand extends KeysSubcommand {
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
