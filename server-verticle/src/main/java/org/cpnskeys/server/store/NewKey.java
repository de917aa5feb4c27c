package org.cpnskeys.server.store;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;

/**
 * A key to assign. {@code sealedKey} is the EUKey sealed by the caller, and {@code seal} the id of the seal it
 * used (see {@code org.cpnskeys.server.seal}): the store keeps both as they are and never sees the EUKey itself.
 */
public record NewKey(EntityId entityId, UserId userId, GatewayId gatewayId, RequestId requestId, KeyId keyId,
        boolean proxy, byte[] sealedKey, int seal, Instant createdAt) {

    public NewKey {
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
        if (sealedKey.length == 0) {
            throw new IllegalArgumentException("sealedKey is empty");
        }
        sealedKey = sealedKey.clone();
    }

    /** A copy of the sealed key. */
    @Override
    public byte[] sealedKey() {
        return sealedKey.clone();
    }

    /** The stored form of this key in the given state. */
    public StoredKey stored(final KeyState state) {
        return new StoredKey(entityId, userId, gatewayId, requestId, keyId, proxy, sealedKey, seal, createdAt, state);
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof NewKey k && entityId.equals(k.entityId) && userId.equals(k.userId)
                && gatewayId.equals(k.gatewayId) && requestId.equals(k.requestId) && keyId.equals(k.keyId)
                && proxy == k.proxy && Arrays.equals(sealedKey, k.sealedKey) && seal == k.seal && createdAt.equals(k.createdAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(entityId, requestId, keyId);
    }

    @Override
    public String toString() {
        return "NewKey[entity=" + entityId + ", user=" + userId + ", gateway=" + gatewayId + ", request=" + requestId
                + ", keyId=" + keyId + ", proxy=" + proxy + ", sealedKey=" + sealedKey.length + " bytes, seal=" + seal + ", createdAt="
                + createdAt + "]";
    }
}
