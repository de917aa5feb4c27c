package org.cpnskeys.server.admin;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.ConsentReceipt;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.server.ConsentCheck;
import org.cpnskeys.server.ConsentKeys;
import org.cpnskeys.server.store.EuKeyRepository;
import org.cpnskeys.server.store.KeyInfo;

/**
 * What {@code cpns keys show --entity E} prints: every key the entity was given, oldest first (state, time,
 * gateway, user, request), each with its stored consent receipt verified again against the gateway's registered
 * consent key now. Never key material. Through the admin API the verifications run on a worker.
 */
public final class KeyHistory {
    private static final MessageCodec CODEC = new MessageCodec();

    private KeyHistory() {
    }

    /** The entity's keys among {@code all}, each with the consent receipt stored for its request, if any. */
    public static JsonObject json(final EntityId entity, final List<KeyInfo> all, final Map<RequestId, String> consents,
            final ConsentKeys keys) {
        final JsonArray out = new JsonArray();
        all.stream().filter(k -> k.entityId().equals(entity)).forEach(k -> out.add(
                AdminApi.json(k).put("consent", consent(k, Optional.ofNullable(consents.get(k.requestId())), keys))));
        return new JsonObject().put("entity", entity.value()).put("keys", out);
    }

    /** {@link #json} for the store's keys and receipts, the verifications on a worker. */
    static Future<JsonObject> of(final Vertx vertx, final EuKeyRepository store, final ConsentKeys keys,
            final EntityId entity) {
        return Future.all(store.list(), store.consents(entity)).compose(both -> vertx.executeBlocking(
                () -> json(entity, both.resultAt(0), both.resultAt(1), keys), false));
    }

    /** The receipt of the key's request as shown, with whether it verifies now; {@code null} when there is none. */
    private static JsonObject consent(final KeyInfo k, final Optional<String> stored, final ConsentKeys keys) {
        if (stored.isEmpty()) {
            return null;
        }
        final ConsentReceipt r;
        try {
            r = CODEC.decodeConsent(stored.get());
        } catch (ProtocolException e) {
            return new JsonObject().put("verified", false).put("problem", "the stored receipt does not decode: "
                    + e.reason());
        }
        final JsonObject o = new JsonObject().put("gateway", r.gatewayId().value()).put("user", r.userId().value())
                .put("channel", r.channel()).put("approvedAt", r.approvedAt().toString());
        r.device().ifPresent(d -> o.put("device", d));
        final Optional<String> problem = keys.of(k.gatewayId())
                .map(key -> ConsentCheck.problem(r, k.gatewayId(), k.requestId(), k.entityId(), k.userId(), key))
                .orElse(Optional.of("gateway " + k.gatewayId() + " has no registered consent key"));
        o.put("verified", problem.isEmpty());
        problem.ifPresent(p -> o.put("problem", p));
        return o;
    }
}
