package org.cpnskeys.protocol;

/** The PNE's Entity ID, as used in PAN topics and as the CN of its PAN certificate. */
public record EntityId(String value) {
    public EntityId {
        Identifiers.check(value, Identifiers.ID, "Entity ID");
    }

    public static EntityId of(final String value) {
        return new EntityId(value);
    }

    @Override
    public String toString() {
        return value;
    }
}
