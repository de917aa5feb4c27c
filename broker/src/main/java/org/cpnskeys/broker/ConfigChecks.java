package org.cpnskeys.broker;

/** Validation shared by the configuration records. */
final class ConfigChecks {
    private ConfigChecks() {
    }

    static String bindAddress(final String bindAddress) {
        if (bindAddress == null || bindAddress.isBlank()) {
            throw new IllegalArgumentException("bind address is missing");
        }
        final String trimmed = bindAddress.strip();
        for (int i = 0; i < trimmed.length(); i++) {
            final char c = trimmed.charAt(i);
            if (!(Character.isLetterOrDigit(c) || c == '.' || c == ':' || c == '-' || c == '_' || c == '%')) {
                throw new IllegalArgumentException("bind address is not a host name or IP address: " + trimmed);
            }
        }
        return trimmed;
    }

    static void port(final int port) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be 0 (any free port) to 65535, was " + port);
        }
    }
}
