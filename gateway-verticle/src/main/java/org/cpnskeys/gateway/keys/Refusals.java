package org.cpnskeys.gateway.keys;

import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.Status;

/** The gateway's own typed refusals, besides {@link ProtocolException}; {@link GatewayKeyService} maps them once. */
final class Refusals {
    private Refusals() {
    }

    /** Marks a request dropped on purpose (R6 "MAY drop"): nothing is answered. */
    static final class Dropped extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Dropped(final String why) {
            super(why, null, false, false);
        }
    }

    /** A refusal that tells the PNE when to try again (429). */
    static final class Throttled extends ProtocolException {
        private static final long serialVersionUID = 1L;
        final int retryAfter;

        Throttled(final String reason, final int retryAfter) {
            super(Status.TOO_MANY_REQUESTS, reason);
            this.retryAfter = retryAfter;
        }
    }

    static ProtocolException unavailable(final String reason) {
        return new ProtocolException(Status.UNAVAILABLE, reason);
    }

    static boolean isUnavailable(final Throwable e) {
        return e instanceof ProtocolException p && p.status() == Status.UNAVAILABLE;
    }
}
