package org.cpnskeys.protocol;

/** Public identifier of one EUKey (never the key itself). */
public record KeyId(String value) {
    public KeyId {
        Identifiers.check(value, Identifiers.ID, "Key ID");
    }

    public static KeyId of(final String value) {
        return new KeyId(value);
    }

    @Override
    public String toString() {
        return value;
    }
}
