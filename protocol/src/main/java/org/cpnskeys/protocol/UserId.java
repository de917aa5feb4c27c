package org.cpnskeys.protocol;

/** The CPNS User's ID, as in the htdigest file. */
public record UserId(String value) {
    public UserId {
        Identifiers.check(value, Identifiers.USER, "User ID");
    }

    public static UserId of(final String value) {
        return new UserId(value);
    }

    @Override
    public String toString() {
        return value;
    }
}
