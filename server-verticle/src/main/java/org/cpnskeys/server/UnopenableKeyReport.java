package org.cpnskeys.server;

import org.cpnskeys.server.seal.StoredKeySealer;

/** What the server (and {@code cpns server reseal}) does, besides its ERROR line, when a stored key does not open. */
public final class UnopenableKeyReport {
    private UnopenableKeyReport() {
    }

    /** A metric and an audit line (no key material). */
    public static StoredKeySealer.Listener of(final ServerMetrics metrics, final AuditLog audit) {
        return (key, why) -> {
            metrics.storedKeyUnopenable();
            audit.record("stored-key-unopenable", key.gatewayId().value(), key.entityId().value(), key.userId().value(),
                    key.proxy(), org.cpnskeys.protocol.Status.INTERNAL_ERROR, why, key.keyId().value());
        };
    }
}
