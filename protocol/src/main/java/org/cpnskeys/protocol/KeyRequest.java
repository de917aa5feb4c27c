package org.cpnskeys.protocol;

import java.util.Optional;

/**
 * A Key Request. From a PNE on the PAN: {@code proxy} true when the PNE has no UI and asks the gateway to act
 * for it (R3), false when it carries its user's ID and, after a challenge, its own digest answer (R1). On the
 * cloud leg the gateway forwards it with {@code proxy} still saying who authenticates (R8, R9).
 *
 * @param description what the device says about itself, shown to the user when asked to approve (at most
 *        200 characters, never trusted)
 */
public record KeyRequest(RequestId requestId, EntityId entityId, boolean proxy, Optional<UserId> userId,
        Optional<String> description, Optional<DigestAuthorization> authorization) implements CpnsMessage {
    public static final String TYPE = "key-request";
    public static final int MAX_DESCRIPTION = 200;

    public KeyRequest {
        if (requestId == null || entityId == null || userId == null || description == null || authorization == null) {
            throw new IllegalArgumentException("key request incomplete");
        }
        if (description.isPresent() && description.get().length() > MAX_DESCRIPTION) {
            throw new IllegalArgumentException("description longer than " + MAX_DESCRIPTION + " characters");
        }
        if (authorization.isPresent() && userId.isPresent()
                && !authorization.get().username().equals(userId.get().value())) {
            throw new IllegalArgumentException("authorization.username differs from userId");
        }
    }

    public static KeyRequest proxy(final RequestId requestId, final EntityId entityId, final Optional<String> description) {
        return new KeyRequest(requestId, entityId, true, Optional.empty(), description, Optional.empty());
    }

    public KeyRequest withUser(final UserId user) {
        return new KeyRequest(requestId, entityId, proxy, Optional.of(user), description, authorization);
    }

    public KeyRequest withAuthorization(final DigestAuthorization auth) {
        return new KeyRequest(requestId, entityId, proxy, Optional.of(auth.userId()), description, Optional.of(auth));
    }

    public KeyRequest withoutAuthorization() {
        return new KeyRequest(requestId, entityId, proxy, userId, description, Optional.empty());
    }

    @Override
    public String type() {
        return TYPE;
    }
}
