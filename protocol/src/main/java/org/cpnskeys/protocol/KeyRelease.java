package org.cpnskeys.protocol;

import java.util.Optional;

/**
 * An owner's release of an entity: the user who owns the Entity ID's EUKey frees it, so that any user may claim
 * the entity afterwards (a reset device, a change of owner). It travels like a Key Request, on the same
 * {@code key-request} topics, and is answered by a {@link Challenge} and then a {@link StatusReport} (200 when
 * released). Its digest answer uses the method {@code KEY-RELEASE} and the digest-uri
 * {@code cpns:key-release:{entityId}:{requestId}}, so no answer made for a Key Request authorises a release, nor
 * the reverse.
 *
 * @param proxy true when the gateway authenticates for its user (a release the user asked for on the gateway, or
 *        a PNE without UI's), false when a PNE with UI authenticates itself
 * @param userId the owner; required from a PNE with UI, set by the gateway on the cloud leg; equal to
 *        {@code authorization.username} when both are present
 */
public record KeyRelease(RequestId requestId, EntityId entityId, boolean proxy, Optional<UserId> userId,
        Optional<DigestAuthorization> authorization) implements CpnsMessage {
    public static final String TYPE = "key-release";

    public KeyRelease {
        if (requestId == null || entityId == null || userId == null || authorization == null) {
            throw new IllegalArgumentException("key release incomplete");
        }
        if (authorization.isPresent() && userId.isPresent()
                && !authorization.get().username().equals(userId.get().value())) {
            throw new IllegalArgumentException("authorization.username differs from userId");
        }
    }

    /** A first release (no digest answer yet) of {@code entityId} by {@code user}. */
    public static KeyRelease of(final RequestId requestId, final EntityId entityId, final boolean proxy,
            final UserId user) {
        return new KeyRelease(requestId, entityId, proxy, Optional.of(user), Optional.empty());
    }

    /** This release with a digest answer. */
    public KeyRelease withAuthorization(final DigestAuthorization auth) {
        return new KeyRelease(requestId, entityId, proxy, Optional.of(auth.userId()), Optional.of(auth));
    }

    /** This release as first sent: without digest answer. */
    public KeyRelease withoutAuthorization() {
        return new KeyRelease(requestId, entityId, proxy, userId, Optional.empty());
    }

    @Override
    public String type() {
        return TYPE;
    }
}
