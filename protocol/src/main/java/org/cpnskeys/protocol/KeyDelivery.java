package org.cpnskeys.protocol;

import java.util.Optional;
import java.util.OptionalInt;

import org.cpnskeys.protocol.crypto.SecretBytes;

/**
 * A Key Delivery: the final answer to a Key Request. With status 200 it carries the key id and the EUKey,
 * either wrapped for the holder of HA1 ({@code wrappedKey}: server to gateway, and gateway to a PNE with UI)
 * or in clear ({@code euKey}: gateway acting as proxy to its PNE over the mutually authenticated PAN). With
 * any other status it carries no key at all (R13) and a reason.
 */
public record KeyDelivery(RequestId requestId, EntityId entityId, int status, Optional<String> reason,
        Optional<UserId> userId, Optional<KeyId> keyId, Optional<WrappedKey> wrappedKey,
        Optional<SecretBytes> euKey, OptionalInt retryAfter) implements CpnsMessage {
    public static final String TYPE = "key-delivery";
    /** Length of a clear EUKey (equal to {@code EuKeyWrap.EUKEY_BYTES}). */
    private static final int EUKEY_BYTES = 32;

    public KeyDelivery {
        if (requestId == null || entityId == null || reason == null || userId == null || keyId == null
                || wrappedKey == null || euKey == null || retryAfter == null) {
            throw new IllegalArgumentException("key delivery incomplete");
        }
        if (!Status.isKnown(status) || status == Status.PENDING) {
            throw new IllegalArgumentException("status " + status + " is not a Key Delivery status");
        }
        if (status == Status.OK) {
            if (keyId.isEmpty() || userId.isEmpty() || wrappedKey.isPresent() == euKey.isPresent()) {
                throw new IllegalArgumentException("a 200 Key Delivery carries userId, keyId and exactly one of wrappedKey, euKey");
            }
            if (euKey.isPresent() && euKey.get().length() != EUKEY_BYTES) {
                throw new IllegalArgumentException("euKey must be " + EUKEY_BYTES + " bytes");
            }
        } else if (wrappedKey.isPresent() || euKey.isPresent() || keyId.isPresent()) {
            throw new IllegalArgumentException("a Key Delivery with status " + status + " carries no key");
        }
    }

    /** A delivery with a wrapped key. */
    public static KeyDelivery wrapped(final RequestId requestId, final EntityId entityId, final UserId userId,
            final KeyId keyId, final WrappedKey wrapped) {
        return new KeyDelivery(requestId, entityId, Status.OK, Optional.empty(), Optional.of(userId),
                Optional.of(keyId), Optional.of(wrapped), Optional.empty(), OptionalInt.empty());
    }

    /** A delivery with the EUKey in clear, for the PAN leg of a proxied request. */
    public static KeyDelivery clear(final RequestId requestId, final EntityId entityId, final UserId userId,
            final KeyId keyId, final SecretBytes euKey) {
        return new KeyDelivery(requestId, entityId, Status.OK, Optional.empty(), Optional.of(userId),
                Optional.of(keyId), Optional.empty(), Optional.of(euKey), OptionalInt.empty());
    }

    /** A delivery without EUKey (R13): the request failed with the given status. */
    public static KeyDelivery refused(final RequestId requestId, final EntityId entityId, final int status,
            final String reason) {
        return new KeyDelivery(requestId, entityId, status, Optional.of(reason), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), OptionalInt.empty());
    }

    /** A delivery without EUKey that tells the requester when it may try again (429, 503). */
    public static KeyDelivery refused(final RequestId requestId, final EntityId entityId, final int status,
            final String reason, final int retryAfterSeconds) {
        return new KeyDelivery(requestId, entityId, status, Optional.of(reason), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), OptionalInt.of(retryAfterSeconds));
    }

    public boolean delivered() {
        return status == Status.OK;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public String toString() {
        return "KeyDelivery[requestId=" + requestId + ", entityId=" + entityId + ", status=" + status
                + reason.map(r -> ", reason=" + r).orElse("") + keyId.map(k -> ", keyId=" + k).orElse("") + "]";
    }
}
