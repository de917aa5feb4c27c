package org.cpnskeys.server.store;

import java.time.Instant;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;

/** What {@code cpns keys list} shows of a stored key: everything but the key material. */
public record KeyInfo(EntityId entityId, UserId userId, GatewayId gatewayId, RequestId requestId, KeyId keyId,
        boolean proxy, Instant createdAt, KeyState state) {
}
