package org.cpnskeys.protocol;

/**
 * The server's digest challenge to a Key Request without (valid) authorization: realm and a fresh nonce;
 * qop is always "auth" and algorithm "MD5". {@code stale} says the previous nonce expired but the answer was
 * otherwise right, so the requester may answer again without asking its user. A realm or nonce outside the
 * grammar of the digest answer (the same as {@link DigestAuthorization}'s) is refused: a requester never
 * answers a challenge it could not put into its answer.
 */
public record Challenge(RequestId requestId, EntityId entityId, String realm, String nonce, boolean stale)
        implements CpnsMessage {
    public static final String TYPE = "challenge";
    public static final String QOP = "auth";
    public static final String ALGORITHM = "MD5";

    public Challenge {
        if (requestId == null || entityId == null || realm == null || nonce == null) {
            throw new IllegalArgumentException("challenge incomplete");
        }
        DigestAuthorization.check(realm, DigestAuthorization.REALM,
                "challenge realm (1-64 printable ASCII characters except '\"', '\\' and ':')");
        DigestAuthorization.check(nonce, DigestAuthorization.NONCE, "challenge nonce (1-128 of A-Z a-z 0-9 _ -)");
    }

    @Override
    public String type() {
        return TYPE;
    }
}
