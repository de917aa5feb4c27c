package org.cpnskeys.gateway;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.cpnskeys.protocol.EntityId;

/**
 * What the PAN broker learned about each connected PNE at its TLS handshake: the fingerprint of its client
 * certificate, shown to the user when asked to approve the device's Key Request. Written by the broker's
 * threads, read by the gateway verticle.
 */
public final class DeviceDirectory {
    private final Map<EntityId, String> fingerprints = new ConcurrentHashMap<>();

    public void connected(final EntityId entity, final String fingerprint) {
        fingerprints.put(entity, fingerprint);
    }

    public Optional<String> fingerprint(final EntityId entity) {
        return Optional.ofNullable(fingerprints.get(entity));
    }
}
