package org.cpnskeys.protocol;

import java.util.Optional;

import org.cpnskeys.protocol.crypto.X25519PublicKey;

/**
 * A Key Request. From a PNE on the PAN: {@code proxy} true when the PNE has no UI and asks the gateway to act
 * for it (R3), false when it carries its user's ID and, after a challenge, its own digest answer (R1). On the
 * cloud leg the gateway forwards it with {@code proxy} still saying who authenticates (R8, R9).
 *
 * @param description what the device says about itself, shown to the user when asked to approve (at most
 *        200 characters, never trusted)
 * @param epk the requester's ephemeral X25519 public key (protocol v2): required with {@code authorization}
 *        (the digest-uri covers it), optional on a first request
 * @param consent the gateway's signed consent receipt for this request ([L] 3; cloud leg only: a gateway drops one
 *        a PNE sends)
 */
public record KeyRequest(RequestId requestId, EntityId entityId, boolean proxy, Optional<UserId> userId,
        Optional<String> description, Optional<X25519PublicKey> epk, Optional<DigestAuthorization> authorization,
        Optional<ConsentReceipt> consent)
        implements CpnsMessage {
    public static final String TYPE = "key-request";
    public static final int MAX_DESCRIPTION = 200;

    public KeyRequest {
        if (requestId == null || entityId == null || userId == null || description == null || epk == null
                || authorization == null || consent == null) {
            throw new IllegalArgumentException("key request incomplete");
        }
        if (authorization.isPresent() && epk.isEmpty()) {
            throw new IllegalArgumentException("a Key Request with authorization must carry epk (protocol v2: the"
                    + " requester's ephemeral X25519 public key)");
        }
        if (description.isPresent() && description.get().length() > MAX_DESCRIPTION) {
            throw new IllegalArgumentException("description longer than " + MAX_DESCRIPTION + " characters");
        }
        if (authorization.isPresent() && userId.isPresent()
                && !authorization.get().username().equals(userId.get().value())) {
            throw new IllegalArgumentException("authorization.username differs from userId");
        }
    }

    /** A Key Request without consent receipt (the parameter list before [L] 3). */
    public KeyRequest(final RequestId requestId, final EntityId entityId, final boolean proxy,
            final Optional<UserId> userId, final Optional<String> description, final Optional<X25519PublicKey> epk,
            final Optional<DigestAuthorization> authorization) {
        this(requestId, entityId, proxy, userId, description, epk, authorization, Optional.empty());
    }

    public static KeyRequest proxy(final RequestId requestId, final EntityId entityId, final Optional<String> description) {
        return new KeyRequest(requestId, entityId, true, Optional.empty(), description, Optional.empty(),
                Optional.empty());
    }

    /** A PNE with UI's first request: its user's ID, no ephemeral key and no answer yet. */
    public static KeyRequest withUi(final RequestId requestId, final EntityId entityId, final UserId user,
            final Optional<String> description) {
        return new KeyRequest(requestId, entityId, false, Optional.of(user), description, Optional.empty(),
                Optional.empty());
    }

    public KeyRequest withUser(final UserId user) {
        return new KeyRequest(requestId, entityId, proxy, Optional.of(user), description, epk, authorization, consent);
    }

    /** This request with a digest answer and the ephemeral key its digest-uri names. */
    public KeyRequest withAuthorization(final DigestAuthorization auth, final X25519PublicKey key) {
        return new KeyRequest(requestId, entityId, proxy, Optional.of(auth.userId()), description, Optional.of(key),
                Optional.of(auth), consent);
    }

    /** This request as first sent: without digest answer and without ephemeral key. */
    public KeyRequest withoutAuthorization() {
        return new KeyRequest(requestId, entityId, proxy, userId, description, Optional.empty(), Optional.empty(),
                consent);
    }

    /** This request carrying the given consent receipt (or none). */
    public KeyRequest withConsent(final Optional<ConsentReceipt> receipt) {
        return new KeyRequest(requestId, entityId, proxy, userId, description, epk, authorization, receipt);
    }

    @Override
    public String type() {
        return TYPE;
    }
}
