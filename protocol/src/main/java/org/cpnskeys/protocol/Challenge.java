package org.cpnskeys.protocol;

/**
 * The server's digest challenge to a Key Request without (valid) authorization: realm and a fresh nonce;
 * qop is always "auth" and algorithm "MD5". {@code stale} says the previous nonce expired but the answer was
 * otherwise right, so the requester may answer again without asking its user.
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
    }

    @Override
    public String type() {
        return TYPE;
    }
}
