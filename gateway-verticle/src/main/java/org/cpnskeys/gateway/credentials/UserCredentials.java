package org.cpnskeys.gateway.credentials;

import java.util.Objects;

import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.Ha1;

/**
 * The gateway owner's credentials as the gateway keeps them (seed step 0 / F0): the User ID, the digest realm and
 * HA1 = MD5(user:realm:password), never the password itself. {@link #toString()} redacts HA1.
 *
 * <p>The {@link Ha1} is shared by whoever holds this record: do not {@link Ha1#destroy() destroy} it.
 *
 * @param realm the digest realm; non-empty, without ':' or control characters (it is one field of an htdigest line)
 */
public record UserCredentials(UserId userId, String realm, Ha1 ha1) {
    public UserCredentials {
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(ha1, "ha1");
        checkRealm(realm);
    }

    static String checkRealm(final String realm) {
        if (realm == null || realm.isEmpty()) {
            throw new IllegalArgumentException("realm is missing");
        }
        if (realm.indexOf(':') >= 0 || realm.codePoints().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("realm must not hold ':' or control characters");
        }
        return realm;
    }

    @Override
    public String toString() {
        return "UserCredentials[userId=" + userId + ", realm=" + realm + ", ha1=redacted]";
    }
}
