package org.cpnskeys.pne;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;

/**
 * Configuration of one PNE.
 *
 * @param entityId the PNE's Entity ID (the CN of its PAN certificate and its MQTT client id)
 * @param pan the gateway's PAN broker, with the PNE's client certificate and the PAN CA as trust anchor
 * @param login present for a PNE with UI (R1): where the user's ID and password come from; absent for a PNE
 *        without UI, which asks the gateway to act as proxy (R3)
 * @param keyStore where the EUKey is stored (PKCS#12, owner-only, F10)
 * @param keyStorePassword protects the PKCS#12 file
 * @param replyTimeout how long to wait for an answer before sending the same request again
 * @param attempts how many times to send it before giving up
 * @param description what the device says about itself (shown to the user on the gateway)
 * @param realm for a PNE with UI: the only digest realm it answers (a challenge for another realm is refused);
 *        empty: any well-formed realm
 */
public record PneConfig(EntityId entityId, MqttEndpoint pan, Optional<LoginPrompt> login, Path keyStore,
        char[] keyStorePassword, Duration replyTimeout, int attempts, Optional<String> description,
        Optional<String> realm) {
    public PneConfig {
        if (entityId == null || pan == null || login == null || keyStore == null || keyStorePassword == null
                || description == null || realm == null) {
            throw new IllegalArgumentException("entity, PAN broker, key store and its password are required");
        }
        if (!pan.tls() || pan.keyCert().isEmpty()) {
            throw new IllegalArgumentException("a PNE talks to its gateway over mutual TLS only (client certificate required)");
        }
        if (attempts < 1 || replyTimeout.isZero() || replyTimeout.isNegative()) {
            throw new IllegalArgumentException("attempts and reply timeout must be positive");
        }
    }

    /** The same PNE, answering only challenges of the given realm. */
    public PneConfig withRealm(final String expected) {
        return new PneConfig(entityId, pan, login, keyStore, keyStorePassword, replyTimeout, attempts, description,
                Optional.of(expected));
    }

    public boolean proxy() {
        return login.isEmpty();
    }
}
