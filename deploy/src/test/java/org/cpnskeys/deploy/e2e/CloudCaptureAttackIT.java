package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.pne.PneOutcome;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Threat: an eavesdropper on the internet path between a PN GW and the cloud broker ([H] 1). A recording TCP
 * proxy sits between the gateway and the server's embedded cloud broker, set up exactly as a new user would
 * (defaults: no TLS option given anywhere), while a whole proxy assignment runs through it. What it recorded
 * must hold none of what would let it act as the gateway or test password guesses offline: no gateway token, no
 * digest answer, no wrapped key, no Key ID, not even the topic names.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CloudCaptureAttackIT {
    @TempDir
    Path dir;

    @Test
    @DisplayName("a recorded proxy assignment on the cloud leg holds no token, digest answer, wrapped key or Key ID in clear")
    void recordedCloudLeg_holdsNothingInClear() throws Exception {
        final AtomicReference<String> token = new AtomicReference<>();
        try (RecordingTcpProxy eavesdropper = new RecordingTcpProxy();
             Fixture f = new Fixture(dir, LocalSystem.Options.defaults().withGatewayConfig(cfg -> {
                 final MqttEndpoint direct = cfg.cloud();
                 token.set(direct.password().orElseThrow());
                 eavesdropper.target(direct.port());
                 // the same endpoint (host, trust, credentials), but its bytes go through the recording proxy
                 return cfg.withCloud(new MqttEndpoint(direct.host(), eavesdropper.port(), direct.tls(), direct.trust(),
                         direct.keyCert(), direct.verifyHostname(), direct.username(), direct.password(),
                         direct.insecurePlaintext()));
             }))) {
            final PneOutcome outcome = f.runPne("capture-sensor", Optional.empty());
            assertTrue(outcome.stored(), "the assignment itself succeeds through the proxy: " + outcome.reason());
            assertTrue(eavesdropper.connections() >= 1, "the gateway's cloud link went through the proxy");

            final byte[] sent = eavesdropper.fromClients();
            final byte[] received = eavesdropper.fromTarget();
            assertTrue(sent.length > 500 && received.length > 500,
                    "the proxy recorded the traffic (" + sent.length + " and " + received.length + " bytes)");
            final String capture = eavesdropper.captureText();
            final String keyId = outcome.keyId().orElseThrow().value();
            for (final String secret : List.of(token.get(), keyId, outcome.keyCheckValue().orElseThrow())) {
                assertFalse(capture.contains(secret), "a secret value of the exchange is in the capture");
            }
            for (final String clear : List.of("\"response\"", "\"authorization\"", "\"wrappedKey\"", "\"keyId\"",
                    "cpns/cloud/", "capture-sensor", f.system.user().value() + "\"")) {
                assertFalse(capture.contains(clear), "the capture shows " + clear + " in clear");
            }
            assertEquals(0x16, sent[0] & 0xff, "the first byte the gateway sent opens a TLS handshake record");
        }
    }
}
