package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import com.hivemq.client.mqtt.datatypes.MqttQos;

import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.EntityId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Hostile and faulty input on the PAN: clear refusals, nothing crashes, the next request is served. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PanRobustnessIT {
    @TempDir
    static Path dir;
    static Fixture f;

    @BeforeAll
    static void start() {
        f = new Fixture(dir);
    }

    @AfterAll
    static void stop() {
        if (f != null) {
            f.close();
        }
    }

    @Test
    @DisplayName("malformed JSON on the PAN gets 400 and the gateway still serves the next request")
    void malformed_400_thenServes() throws Exception {
        try (RecordingPne pne = new RecordingPne(f.system, EntityId.of("bad-json")).connect()) {
            pne.send("cpns/pan/bad-json/key-request", "{\"v\":2,\"type\":\"key-req".getBytes(StandardCharsets.UTF_8));
            final JsonObject status = pne.awaitLeaf("status").json();
            assertEquals(400, status.getInteger("status"));
            pne.send("cpns/pan/bad-json/key-request", RecordingPne.proxyRequest(pne.entity, "bj-1").put("extra", 1)
                    .toBuffer().getBytes());
            assertEquals(400, pne.await(Duration.ofSeconds(30), s -> s.leaf().equals("status")
                    && "bj-1".equals(s.json().getString("requestId"))).json().getInteger("status"));
            pne.sendKeyRequest(RecordingPne.proxyRequest(pne.entity, "bj-2"));
            assertEquals(200, pne.awaitLeaf("key-delivery").json().getInteger("status"));
        }
    }

    @Test
    @DisplayName("a request naming another entity than its topic gets 400")
    void entityMismatch_400() throws Exception {
        try (RecordingPne pne = new RecordingPne(f.system, EntityId.of("honest")).connect()) {
            pne.sendKeyRequest(RecordingPne.proxyRequest(EntityId.of("someone-else"), "em-1"));
            assertEquals(400, pne.awaitLeaf("status").json().getInteger("status"));
            assertEquals(Optional.empty(), f.serverKcv("someone-else"));
        }
    }

    @Test
    @DisplayName("a PNE publishing under another entity's topic is refused by the broker")
    void otherEntitysTopic_refusedByBroker() throws Exception {
        try (RecordingPne pne = new RecordingPne(f.system, EntityId.of("intruder")).connect()) {
            assertThrows(Exception.class, () -> pne.client().publishWith().topic("cpns/pan/victim/key-request")
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .payload(RecordingPne.proxyRequest(EntityId.of("victim"), "x-1").toBuffer().getBytes())
                    .send().get(20, TimeUnit.SECONDS));
            Fixture.eventually(Duration.ofSeconds(10), "disconnected", () -> !pne.connected());
        }
        assertFalse(f.user.wasAsked(EntityId.of("victim")));
        assertEquals(Optional.empty(), f.serverKcv("victim"));
    }

    @Test
    @DisplayName("a PNE cannot subscribe to another entity's deliveries")
    void otherEntitysReplies_subscriptionRefused() throws Exception {
        try (RecordingPne pne = new RecordingPne(f.system, EntityId.of("snoop")).connect()) {
            assertThrows(Exception.class, () -> pne.client().subscribeWith().topicFilter("cpns/pan/victim/+")
                    .qos(MqttQos.AT_LEAST_ONCE).callback(p -> { }).send().get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    @DisplayName("a PNE whose MQTT client id differs from its certificate's Entity ID is refused")
    void clientIdNotCertificateCn_refused() throws Exception {
        final RecordingPne pne = new RecordingPne(f.system, EntityId.of("cn-one"), "cn-two");
        assertThrows(Exception.class, pne::connect);
    }

    @Test
    @DisplayName("a PNE's retry with the same requestId gets the same key, not a second one")
    void retrySameRequestId_sameKey() throws Exception {
        try (RecordingPne pne = new RecordingPne(f.system, EntityId.of("retrier")).connect()) {
            pne.sendKeyRequest(RecordingPne.proxyRequest(pne.entity, "rt-1"));
            final JsonObject first = pne.awaitLeaf("key-delivery").json();
            pne.sendKeyRequest(RecordingPne.proxyRequest(pne.entity, "rt-1"));
            final JsonObject second = pne.awaitLeaf("key-delivery").json();
            assertEquals(first.getString("keyId"), second.getString("keyId"));
            assertEquals(first.getString("euKey"), second.getString("euKey"));
            assertTrue(first.getInteger("status") == 200);
        }
    }
}
