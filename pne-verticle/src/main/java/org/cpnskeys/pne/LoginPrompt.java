package org.cpnskeys.pne;

import io.vertx.core.Future;

import org.cpnskeys.protocol.UserId;

/** How a PNE with UI gets its user's ID and password (R1): typed in by the user, or configured. */
public interface LoginPrompt {
    /** The user's login; the caller zeroes the password when done. */
    record Login(UserId userId, char[] password) {
        @Override
        public String toString() {
            return "Login[" + userId + ", password redacted]";
        }
    }

    /** The user ID, known before the password is needed (it goes into the Key Request). */
    Future<UserId> userId();

    /** The password, asked for when the server's challenge arrives. */
    Future<char[]> password(String realm);

    /** A login given in configuration. */
    static LoginPrompt fixed(final UserId user, final char[] password) {
        final char[] copy = password.clone();
        return new LoginPrompt() {
            @Override
            public Future<UserId> userId() {
                return Future.succeededFuture(user);
            }

            @Override
            public Future<char[]> password(final String realm) {
                return Future.succeededFuture(copy.clone());
            }
        };
    }
}
