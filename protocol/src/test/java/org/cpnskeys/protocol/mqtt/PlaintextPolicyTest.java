package org.cpnskeys.protocol.mqtt;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;

import io.vertx.core.net.PemTrustOptions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The one rule for MQTT without TLS: loopback only (every address of the name), or explicitly insecure. */
class PlaintextPolicyTest {
    @ParameterizedTest
    @ValueSource(strings = {"localhost", "127.0.0.1", "127.1.2.3", "::1"})
    void loopbackHosts_plainAllowed(final String host) {
        assertTrue(PlaintextPolicy.isLoopback(host));
        assertDoesNotThrow(() -> MqttEndpoint.plain(host, 1883, "u", "p"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"192.0.2.1", "0.0.0.0", "2001:db8::1", "no-such-host.invalid"})
    void otherHosts_plainRefusedSayingWhyAndWhatToDo(final String host) {
        assertFalse(PlaintextPolicy.isLoopback(host));
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MqttEndpoint.plain(host, 1883, "u", "secret-token"));
        assertTrue(e.getMessage().contains("refusing plain MQTT") && e.getMessage().contains("TLS")
                && e.getMessage().contains(PlaintextPolicy.INSECURE_OPTION), e.getMessage());
        assertFalse(e.getMessage().contains("secret-token"), "the message never shows the password");
    }

    @Test
    void insecurePlain_otherHost_allowed_tlsNeverChecked() {
        assertFalse(MqttEndpoint.insecurePlain("192.0.2.1", 1883, "u", "p").tls());
        assertTrue(MqttEndpoint.tls("192.0.2.1", 8883, new PemTrustOptions(), Optional.empty(), true, Optional.empty(),
                Optional.empty()).tls(), "a TLS endpoint may go anywhere");
    }
}
