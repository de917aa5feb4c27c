package org.cpnskeys.gateway.web;

import java.time.Duration;
import java.util.List;

/**
 * Where the gateway's approval page listens.
 *
 * @param bindAddress the address the HTTPS server binds (loopback by default: the page is for the person at the
 *        gateway; bind another address only on a trusted home network)
 * @param port the HTTPS port (0 = any free port)
 * @param hostNames DNS names and IPs the page's certificate (issued by the gateway's PAN CA) names
 * @param credentialPromptTimeout how long a PNE waiting for the user's credentials (R6) waits for the form
 */
public record WebPageConfig(String bindAddress, int port, List<String> hostNames, Duration credentialPromptTimeout) {
    public static final int DEFAULT_PORT = 8443;
    public static final String DEFAULT_BIND = "127.0.0.1";
    public static final Duration DEFAULT_CREDENTIAL_PROMPT_TIMEOUT = Duration.ofMinutes(5);

    public WebPageConfig {
        if (bindAddress == null || bindAddress.isBlank()) {
            throw new IllegalArgumentException("the page's bind address is missing");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("the page's port must be 0-65535");
        }
        hostNames = List.copyOf(hostNames);
        if (hostNames.isEmpty()) {
            throw new IllegalArgumentException("the page's certificate needs at least one host name");
        }
        if (credentialPromptTimeout == null || credentialPromptTimeout.isNegative() || credentialPromptTimeout.isZero()) {
            throw new IllegalArgumentException("the credential prompt timeout must be positive");
        }
    }

    /** On loopback only, at {@code port}. */
    public static WebPageConfig loopback(final int port) {
        return new WebPageConfig(DEFAULT_BIND, port, List.of("localhost", "127.0.0.1"), DEFAULT_CREDENTIAL_PROMPT_TIMEOUT);
    }

    public WebPageConfig withCredentialPromptTimeout(final Duration d) {
        return new WebPageConfig(bindAddress, port, hostNames, d);
    }
}
