package org.cpnskeys.server.auth;

import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.Status;

/** Too many failed authentications: refused with 429 until {@code retryAfterSeconds} have passed. */
public final class LockedOutException extends ProtocolException {
    private static final long serialVersionUID = 1L;
    private final int retryAfterSeconds;

    public LockedOutException(final String reason, final int retryAfterSeconds) {
        super(Status.TOO_MANY_REQUESTS, reason);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
