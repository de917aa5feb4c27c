package org.cpnskeys.deploy;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.server.AuditLog;
import org.cpnskeys.server.ConsentKeys;
import org.cpnskeys.server.GatewayRegistry;
import org.cpnskeys.server.admin.KeyHistory;
import org.cpnskeys.server.store.SqliteEuKeyRepository;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cpns keys show --entity E}. */
@Command(name = "show", mixinStandardHelpOptions = true,
        description = {"Shows an entity's key history: every key it was given (state, time, gateway, user, request),",
                "each with the gateway's consent receipt (who approved, how, which device certificate, when),",
                "verified again against the gateway's registered consent key. Never key material."})
final class KeysShowCommand extends KeysSubcommand {
    @Option(names = "--entity", required = true, description = "The Entity ID.")
    String entity;

    @Override
    int online(final AdminClient client) throws AdminClient.Unreachable {
        return print(AdminClient.expect(client.get("keys/" + AdminClient.segment(entity) + "/history"), 200));
    }

    @Override
    Future<Integer> offline(final SqliteEuKeyRepository store, final AuditLog audit) {
        final EntityId id = EntityId.of(entity);
        final ConsentKeys keys;
        try {
            keys = ConsentKeys.open(GatewayRegistry.consentKeysFile(server.data.resolve("gateways")));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot read the consent keys in " + server.data + ": " + e.getMessage(), e);
        }
        audit.admin(actor(), "keys-show", entity, null, "done", null);
        return Future.all(store.list(), store.consents(id))
                .map(both -> print(KeyHistory.json(id, both.resultAt(0), both.resultAt(1), keys)));
    }

    /** Prints the history; exit code 3 when the entity never had a key, 1 when a receipt does not verify. */
    private static int print(final JsonObject history) {
        if (history.getJsonArray("keys").isEmpty()) {
            System.err.println("entity " + history.getString("entity") + " never had a key");
            return 3;
        }
        boolean allVerified = true;
        System.out.println("entity " + history.getString("entity"));
        for (final Object o : history.getJsonArray("keys")) {
            final JsonObject k = (JsonObject) o;
            System.out.printf("  key %s  %-10s created %s  gateway %s  user %s  request %s%n", k.getString("keyId"),
                    k.getString("state"), k.getString("createdAt"), k.getString("gateway"), k.getString("user"),
                    k.getString("requestId"));
            final JsonObject c = k.getJsonObject("consent");
            if (c == null) {
                System.out.println("    consent: no receipt (gateway without a registered consent key at the time)");
                continue;
            }
            final boolean verified = c.getBoolean("verified", false);
            allVerified &= verified;
            System.out.printf("    consent: approved by %s via %s at %s, device certificate %s: %s%n",
                    c.getString("user", "?"), c.getString("channel", "?"), c.getString("approvedAt", "?"),
                    c.getString("device", "not seen"), verified ? "VERIFIED" : "NOT VERIFIED (" + c.getString("problem") + ")");
        }
        return allVerified ? 0 : 1;
    }
}
