package org.cpnskeys.protocol;

import java.time.Instant;
import java.util.Base64;

import io.vertx.core.json.JsonObject;

/**
 * The {@code consent} object of a gateway's Key Request, both ways: {@link MessageCodec} decodes and encodes the
 * field (and the stored receipt on its own) through this one form.
 */
final class ConsentReceiptFields {
    private static final Base64.Encoder B64 = Base64.getEncoder();

    private ConsentReceiptFields() {
    }

    static ConsentReceipt consent(final MessageFields c) {
        final Instant at;
        try {
            at = Instant.parse(c.string("approvedAt"));
        } catch (java.time.format.DateTimeParseException e) {
            throw ProtocolException.badRequest("field consent.approvedAt is not an ISO-8601 instant");
        }
        final java.util.OptionalInt index = c.optInteger("batchIndex");
        final java.util.OptionalInt size = c.optInteger("batchSize");
        final java.util.Optional<String> path = c.optString("batchPath");
        final java.util.Optional<ConsentBatch> batch;
        if (index.isEmpty() && size.isEmpty() && path.isEmpty()) {
            batch = java.util.Optional.empty();
        } else if (index.isPresent() && size.isPresent() && path.isPresent()) {
            batch = java.util.Optional.of(new ConsentBatch(index.getAsInt(), size.getAsInt(),
                    MessageFields.b64(path.get(), "consent.batchPath")));
        } else {
            throw ProtocolException.badRequest("fields consent.batchIndex, consent.batchSize and consent.batchPath"
                    + " come together or not at all");
        }
        final ConsentReceipt r = new ConsentReceipt(GatewayId.of(c.string("gatewayId")),
                RequestId.of(c.string("requestId")), EntityId.of(c.string("entityId")), UserId.of(c.string("userId")),
                c.string("channel"), c.optString("device"), at, c.base64("sig"), batch);
        c.noneLeft();
        return r;
    }

    /** A consent receipt on its own, as the {@code consent} field carries it (the form the server stores). */
    static JsonObject consentJson(final ConsentReceipt r) {
        final JsonObject o = new JsonObject().put("gatewayId", r.gatewayId().value())
                .put("requestId", r.requestId().value()).put("entityId", r.entityId().value())
                .put("userId", r.userId().value()).put("channel", r.channel());
        r.device().ifPresent(d -> o.put("device", d));
        o.put("approvedAt", r.approvedAt().toString()).put("sig", B64.encodeToString(r.signature()));
        r.batch().ifPresent(b -> o.put("batchIndex", b.index()).put("batchSize", b.size())
                .put("batchPath", B64.encodeToString(b.path())));
        return o;
    }
}
