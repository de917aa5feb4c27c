package org.cpnskeys.protocol;

/** Chosen by the requester; a retry reuses it, and every handler is idempotent on it. */
public record RequestId(String value) {
    public RequestId {
        Identifiers.check(value, Identifiers.ID, "Request ID");
    }

    public static RequestId of(final String value) {
        return new RequestId(value);
    }

    @Override
    public String toString() {
        return value;
    }
}
