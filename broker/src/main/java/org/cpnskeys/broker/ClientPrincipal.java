package org.cpnskeys.broker;

/**
 * An authenticated broker client.
 *
 * @param identity who it is: a PNE's Entity ID, a gateway's ID, a server's user name
 * @param role what it is
 * @param instance which instance of a gateway on the cloud broker (0 for the first, whose client id is the Gateway
 *        ID; {@code n} for the client id {@code gw#n}); 0 for every other client
 */
public record ClientPrincipal(String identity, Role role, int instance) {
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
        if (instance < 0) {
            throw new IllegalArgumentException("principal instance must not be negative");
        }
    }

    /** A client that is no numbered instance of anything (instance 0). */
    public ClientPrincipal(final String identity, final Role role) {
        this(identity, role, 0);
    }
}
