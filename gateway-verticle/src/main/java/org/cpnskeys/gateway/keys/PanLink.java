package org.cpnskeys.gateway.keys;

import io.vertx.core.buffer.Buffer;

import org.cpnskeys.protocol.EntityId;

/**
 * The way from {@link GatewayKeyService} to the PNEs on the PAN: one method per reply topic of a PNE. The payloads
 * are encoded messages, passed on as they are (a relayed challenge or Key Delivery is the server's bytes, R16).
 * Sending is fire-and-forget: a PNE that misses a message asks again with the same request ID.
 */
public interface PanLink {
    /** A digest challenge for a PNE with UI (the server's, untouched). */
    void challenge(EntityId pne, Buffer payload);

    /** A Key Delivery: the EUKey, a wrapped key for a PNE with UI, or a refusal. */
    void keyDelivery(EntityId pne, Buffer payload);

    /** An interim status (202 pending) or a refusal of an unreadable request (400). */
    void status(EntityId pne, Buffer payload);
}
