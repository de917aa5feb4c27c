package org.cpnskeys.broker;

/**
 * An authenticated broker client.
 *
 * @param identity who it is: a PNE's Entity ID, a gateway's ID, a server's user name
 * @param role what it is
 */
public record ClientPrincipal(String identity, Role role) {
    /** The kinds of clients of the CPNS brokers. */
    public enum Role {
        /** A Personal Network Element on the PAN broker. */
        PNE,
        /** A PN gateway: the PAN broker's internal user, or a gateway on the cloud broker. */
        GATEWAY,
        /** A CPNS server instance on the cloud broker. */
        SERVER
    }

    public ClientPrincipal {
        if (identity == null || identity.isBlank()) {
            throw new IllegalArgumentException("principal identity is missing");
        }
        if (role == null) {
            throw new IllegalArgumentException("principal role is missing");
        }
    }
}
