package org.cpnskeys.server;

import java.util.Objects;
import java.util.Optional;

import org.cpnskeys.protocol.trace.Tracing;

/**
 * How a CPNS Server is operated, beside what it serves ({@link ServerConfig}).
 *
 * @param adminBind the admin API's address, loopback by default; empty: no admin API
 * @param adminPort the admin API's port (0: any free port)
 * @param gatewayRequestsPerSecond Key Requests per PN GW and second before {@code 429};
 *        {@link RequestRateLimiter#UNLIMITED} (0) for no limit
 * @param tracing where the spans of the Key Requests go ({@link Tracing#OFF} by default)
 */
public record OperationsConfig(Optional<String> adminBind, int adminPort, int gatewayRequestsPerSecond,
        Tracing tracing) {
    /** The admin API's default port. */
    public static final int DEFAULT_ADMIN_PORT = 9102;
    /** No admin API, no rate limit (tests of other parts). */
    public static final OperationsConfig NONE = new OperationsConfig(Optional.empty(), 0, RequestRateLimiter.UNLIMITED);

    public OperationsConfig {
        if (adminBind == null) {
            throw new IllegalArgumentException("adminBind must be given (Optional.empty() for none)");
        }
        if (adminPort < 0 || adminPort > 65535) {
            throw new IllegalArgumentException("admin port must be 0-65535");
        }
        if (gatewayRequestsPerSecond < 0) {
            throw new IllegalArgumentException("the gateway request rate limit must be 0 (off) or positive");
        }
        Objects.requireNonNull(tracing, "tracing");
    }

    /** Without tracing. */
    public OperationsConfig(final Optional<String> adminBind, final int adminPort, final int gatewayRequestsPerSecond) {
        this(adminBind, adminPort, gatewayRequestsPerSecond, Tracing.OFF);
    }

    /** The admin API on loopback at {@code port}, no rate limit. */
    public static OperationsConfig adminOnLoopback(final int port) {
        return new OperationsConfig(Optional.of("127.0.0.1"), port, RequestRateLimiter.UNLIMITED);
    }

    public OperationsConfig withGatewayRequestsPerSecond(final int perSecond) {
        return new OperationsConfig(adminBind, adminPort, perSecond, tracing);
    }

    public OperationsConfig withTracing(final Tracing newTracing) {
        return new OperationsConfig(adminBind, adminPort, gatewayRequestsPerSecond, newTracing);
    }
}
