package org.cpnskeys.gateway;

/**
 * What the gateway reports about itself. The default does nothing; the launcher supplies a Micrometer-based
 * implementation, so that no class here depends on a metrics library.
 */
public interface GatewayMetrics {
    GatewayMetrics NOOP = new GatewayMetrics() {
    };

    /** A PNE's Key Request ended: {@code delivered} or {@code refused}, with the status the PNE got. */
    default void keyRequest(final String outcome, final int status) {
    }
}
