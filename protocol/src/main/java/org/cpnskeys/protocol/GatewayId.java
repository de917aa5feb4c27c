package org.cpnskeys.protocol;

/** The PN GW's identity on the cloud broker and in cloud topics. */
public record GatewayId(String value) {
    public GatewayId {
        Identifiers.check(value, Identifiers.ID, "Gateway ID");
    }

    public static GatewayId of(final String value) {
        return new GatewayId(value);
    }

    @Override
    public String toString() {
        return value;
    }
}
