package org.cpnskeys.server.store;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;

/** A key as stored: the fields of {@link NewKey} plus its {@link KeyState}; {@code seal} says how it is sealed. */
public record StoredKey(EntityId entityId, UserId userId, GatewayId gatewayId, RequestId requestId, KeyId keyId,
        boolean proxy, byte[] sealedKey, int seal, Instant createdAt, KeyState state) {

    public StoredKey {
        Objects.requireNonNull(entityId, "entityId");
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(gatewayId, "gatewayId");
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(sealedKey, "sealedKey");
        Objects.requireNonNull(createdAt, "createdAt");
        if (seal < 1) {
            throw new IllegalArgumentException("seal must be positive");
        }
        Objects.requireNonNull(state, "state");
        sealedKey = sealedKey.clone();
    }

    /** A copy of the sealed key. */
    @Override
    public byte[] sealedKey() {
        return sealedKey.clone();
    }

    /** Everything but the key material. */
    public KeyInfo info() {
        return new KeyInfo(entityId, userId, gatewayId, requestId, keyId, proxy, createdAt, state);
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof StoredKey k && entityId.equals(k.entityId) && userId.equals(k.userId)
                && gatewayId.equals(k.gatewayId) && requestId.equals(k.requestId) && keyId.equals(k.keyId)
                && proxy == k.proxy && Arrays.equals(sealedKey, k.sealedKey) && seal == k.seal && createdAt.equals(k.createdAt)
                && state == k.state;
    }

    @Override
    public int hashCode() {
        return Objects.hash(entityId, requestId, keyId, state);
    }

    @Override
    public String toString() {
        return "StoredKey[entity=" + entityId + ", user=" + userId + ", gateway=" + gatewayId + ", request="
                + requestId + ", keyId=" + keyId + ", proxy=" + proxy + ", sealedKey=" + sealedKey.length
                + " bytes, seal=" + seal + ", createdAt=" + createdAt + ", state=" + state + "]";
    }
}
