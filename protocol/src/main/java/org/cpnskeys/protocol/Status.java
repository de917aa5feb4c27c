package org.cpnskeys.protocol;

/** The HTTP-like status codes carried in replies (see docs/PROTOCOL.md). */
public final class Status {
    public static final int OK = 200;
    public static final int PENDING = 202;
    public static final int BAD_REQUEST = 400;
    public static final int UNAUTHORIZED = 401;
    public static final int FORBIDDEN = 403;
    /** A Key Release for an entity that has no key to release. */
    public static final int NOT_FOUND = 404;
    public static final int CONFLICT = 409;
    public static final int TOO_MANY_REQUESTS = 429;
    public static final int INTERNAL_ERROR = 500;
    public static final int UNAVAILABLE = 503;

    private Status() {
    }

    public static boolean isKnown(final int status) {
        return switch (status) {
            case OK, PENDING, BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT, TOO_MANY_REQUESTS, INTERNAL_ERROR,
                    UNAVAILABLE -> true;
            default -> false;
        };
    }
}
