package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.json.JsonObject;

import org.cpnskeys.gateway.approval.ApprovalDecision;
import org.cpnskeys.gateway.approval.ApprovalRequest;
import org.cpnskeys.pne.EuKeyStore;
import org.cpnskeys.pne.PneApplication;
import org.cpnskeys.pne.PneConfig;
import org.cpnskeys.pne.PneOutcome;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.KeyCheckValue;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.server.store.KeyInfo;
import org.cpnskeys.server.store.KeyState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed's flow for a PNE without UI (6.x.2, F0-F10) and the gateway's proxy duties (R3, R4, R6-R8, R13,
 * R17), end to end on the embedded brokers with the TLS PAN, the real server, gateway and PNE.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProxyAssignmentConformanceIT {
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
    @DisplayName("F0 the user's ID and password are configured in the PN GW, which keeps only HA1")
    void f0_credentialsConfigured_gatewayKeepsHa1Only() throws Exception {
        final Path file = f.system.gateway().credentials().file();
        final String content = Files.readString(file);
        final String password = new String(f.system.password());
        final String ha1 = DigestClient.ha1(f.system.user().value(), "cpns", f.system.password()).hex();
        assertTrue(content.contains(f.system.user().value()), "the user ID is stored");
        assertTrue(content.contains(ha1), "HA1 is stored");
        assertFalse(content.contains(password), "the password is never stored");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertTrue(f.runPne("f0-sensor", Optional.empty()).stored(), "a proxy PNE gets its key with them");
    }

    @Test
    @DisplayName("F1 the user switches on a device in PNE mode and triggers its EUKey request")
    void f1_pneStarted_requestsItsKey() {
        final PneOutcome o = f.runPne("f1-bulb", Optional.empty());
        assertTrue(o.stored(), o.reason());
        assertTrue(f.user.wasAsked(EntityId.of("f1-bulb")), "the trigger reached the gateway");
    }

    @Test
    @DisplayName("F2 the PNE sends a Key Request message to the PN GW over the PAN")
    void f2_pneSendsKeyRequest_toGatewayTopic() throws Exception {
        try (RecordingPne pne = new RecordingPne(f.system, EntityId.of("f2-pne")).connect()) {
            pne.sendKeyRequest(RecordingPne.proxyRequest(pne.entity, "f2-r1"));
            final RecordingPne.Seen delivery = pne.awaitLeaf("key-delivery");
            assertEquals(200, delivery.json().getInteger("status"));
            final RecordingPne.Seen sent = pne.seen.get(0);
            assertTrue(sent.sent());
            assertEquals("cpns/pan/f2-pne/key-request", sent.topic());
            assertEquals("key-request", sent.json().getString("type"));
        }
    }

    @Test
    @DisplayName("F3 the PN GW notifies the user of the Key Request and prompts for validation (PNE told 202)")
    void f3_keyRequest_userIsAskedAndPneToldPending() throws Exception {
        final EntityId entity = EntityId.of("hold-f3");
        try (RecordingPne pne = new RecordingPne(f.system, entity).connect()) {
            pne.sendKeyRequest(RecordingPne.proxyRequest(entity, "f3-r1").put("description", "kitchen thermometer"));
            final RecordingPne.Seen pending = pne.awaitLeaf("status");
            assertEquals(202, pending.json().getInteger("status"));
            assertTrue(pending.json().getInteger("retryAfter") > 0);
            Fixture.eventually(Duration.ofSeconds(10), "user asked", () -> f.user.wasAsked(entity));
            final ApprovalRequest asked = f.user.asked.stream().filter(r -> r.entityId().equals(entity)).findFirst().get();
            assertEquals(Optional.of("kitchen thermometer"), asked.description());
            assertTrue(asked.proxy());
            assertTrue(asked.certificateFingerprint().length() >= 8, "the device's certificate is shown");
            f.user.decide(entity, ApprovalDecision.APPROVED);
            assertEquals(200, pne.awaitLeaf("key-delivery").json().getInteger("status"));
        }
    }

    @Test
    @DisplayName("F4 only after the user's validation does the PN GW relay the Key Request to the server")
    void f4_relayedOnlyAfterValidation() throws Exception {
        final EntityId entity = EntityId.of("hold-f4");
        try (RecordingPne pne = new RecordingPne(f.system, entity).connect()) {
            pne.sendKeyRequest(RecordingPne.proxyRequest(entity, "f4-r1"));
            assertEquals(202, pne.awaitLeaf("status").json().getInteger("status"));
            Fixture.eventually(Duration.ofSeconds(10), "user asked", () -> f.user.wasAsked(entity));
            assertEquals(Optional.empty(), f.serverKcv(entity.value()), "nothing reached the server yet");
            f.user.decide(entity, ApprovalDecision.APPROVED);
            pne.awaitLeaf("key-delivery");
            assertTrue(f.serverKcv(entity.value()).isPresent(), "relayed after approval");
        }
    }

    @Test
    @DisplayName("F5 the server authenticates the PN GW with the user's ID and password by digest")
    void f5_gatewayAuthenticatedByDigest_wrongHa1Refused() throws Exception {
        final Fixture other = new Fixture(dir.resolve("f5"));
        try {
            assertTrue(other.runPne("f5-good", Optional.empty()).stored(), "right credentials: key");
            other.system.gateway().credentials().set(other.system.user(), "cpns", "not-the-password".toCharArray());
            final PneOutcome o = other.runPne("f5-bad", Optional.empty());
            assertEquals(Status.UNAUTHORIZED, o.status(), "wrong credentials: refused by the server");
            assertEquals(Optional.empty(), other.serverKcv("f5-bad"));
        } finally {
            other.close();
        }
    }

    @Test
    @DisplayName("F6 on success the server creates the EUKey and stores it with the Entity ID and the User ID")
    void f6_keyStoredWithEntityAndUser() {
        assertTrue(f.runPne("f6-sensor", Optional.empty()).stored());
        final List<KeyInfo> keys = Fixture.await(f.system.server().store().list());
        final KeyInfo k = keys.stream().filter(i -> i.entityId().value().equals("f6-sensor")).findFirst().orElseThrow();
        assertEquals(f.system.user(), k.userId());
        assertEquals(KeyState.ACTIVE, k.state());
        assertEquals("home-gw", k.gatewayId().value());
    }

    @Test
    @DisplayName("F7 the server sends the EUKey encrypted under material from the password, never in clear")
    void f7_keyTravelsWrapped_notInClear() throws Exception {
        // What the gateway receives from the server is checked in ServerAuthenticationConformanceIT (F7, R14,
        // R15); here: the key the PNE holds is nowhere in clear in the server's store.
        final PneConfig config = f.pneConfig("f7-sensor", Optional.empty());
        assertTrue(Fixture.await(PneApplication.requestKey(f.vertx, config)).stored());
        try (SecretBytes key = EuKeyStore.load(config.keyStore(), config.keyStorePassword(), config.entityId())) {
            final byte[] raw = key.reveal();
            for (final String file : List.of("eukeys.db", "eukeys.db-wal")) {
                final Path p = f.system.dir().resolve("server").resolve(file);
                if (Files.exists(p)) {
                    assertFalse(contains(Files.readAllBytes(p), raw), "EUKey in clear in " + file);
                }
            }
        }
    }

    @Test
    @DisplayName("F8 the PN GW decrypts the EUKey (the PNE's key equals the server's)")
    void f8_gatewayDecrypts_keyMatchesServer() {
        final PneOutcome o = f.runPne("f8-sensor", Optional.empty());
        assertTrue(o.stored());
        assertEquals(f.serverKcv("f8-sensor"), o.keyCheckValue());
    }

    @Test
    @DisplayName("F9 the PN GW forwards the decrypted EUKey in a Key Delivery over the secure PAN")
    void f9_keyDeliveryOverPan_carriesClearKey() throws Exception {
        try (RecordingPne pne = new RecordingPne(f.system, EntityId.of("f9-pne")).connect()) {
            pne.sendKeyRequest(RecordingPne.proxyRequest(pne.entity, "f9-r1"));
            final JsonObject d = pne.awaitLeaf("key-delivery").json();
            assertEquals(200, d.getInteger("status"));
            final byte[] key = Base64.getDecoder().decode(d.getString("euKey"));
            assertEquals(32, key.length);
            assertEquals(f.serverKcv("f9-pne").orElseThrow(), KeyCheckValue.of(SecretBytes.copyOf(key)));
        }
    }

    @Test
    @DisplayName("F10 the PNE stores the EUKey (PKCS#12, owner-only)")
    void f10_pneStoresKey_ownerOnlyPkcs12() throws Exception {
        final PneConfig config = f.pneConfig("f10-sensor", Optional.empty());
        final PneOutcome o = Fixture.await(PneApplication.requestKey(f.vertx, config));
        assertTrue(o.stored());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(config.keyStore())));
        try (SecretBytes key = EuKeyStore.load(config.keyStore(), config.keyStorePassword(), config.entityId())) {
            assertEquals(o.keyCheckValue().orElseThrow(), KeyCheckValue.of(key));
        }
    }

    @Test
    @DisplayName("R3 a PNE without UI asks the PN GW to act as proxy in its Key Request")
    void r3_proxyIndication_inPneRequest() throws Exception {
        final PneConfig config = f.pneConfig("r3-sensor", Optional.empty());
        assertTrue(config.proxy());
        try (RecordingPne pne = new RecordingPne(f.system, EntityId.of("r3-pne")).connect()) {
            pne.sendKeyRequest(RecordingPne.proxyRequest(pne.entity, "r3-r1"));
            assertEquals(200, pne.awaitLeaf("key-delivery").json().getInteger("status"));
            final JsonObject sent = pne.seen.get(0).json();
            assertTrue(sent.getBoolean("proxy"));
            assertFalse(sent.containsKey("userId"), "no user ID needed");
            assertFalse(sent.containsKey("authorization"), "no password involved");
        }
    }

    @Test
    @DisplayName("R4 a PNE without a client certificate cannot reach the PAN; only mutually authenticated PNEs ask")
    void r4_noClientCertificate_refused() throws Exception {
        final com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient anonymous = com.hivemq.client.mqtt.MqttClient.builder()
                .useMqttVersion5().identifier("r4-anon").serverHost("localhost").serverPort(f.system.gateway().panPort())
                .sslConfig().trustManagerFactory(RecordingPne.trust(f.system)).applySslConfig().buildAsync();
        assertThrows(Exception.class, () -> anonymous.connect().get(20, TimeUnit.SECONDS));
        assertFalse(f.user.wasAsked(EntityId.of("r4-anon")));
    }

    @Test
    @DisplayName("R6 asked to act as proxy with credentials configured, the PN GW forwards the request")
    void r6_credentialsConfigured_forwards() {
        assertTrue(f.system.gateway().credentials().current().isPresent());
        assertTrue(f.runPne("r6-sensor", Optional.empty()).stored());
    }

    @Test
    @DisplayName("R7 the PN GW forwards only after the user validated: a denial ends with 403 and nothing relayed")
    void r7_denied_notForwarded403() {
        final PneOutcome o = f.runPne("deny-r7", Optional.empty());
        assertEquals(Status.FORBIDDEN, o.status());
        assertFalse(o.stored());
        assertEquals(Optional.empty(), f.serverKcv("deny-r7"));
    }

    @Test
    @DisplayName("R7 an approval left unanswered expires: 403, nothing relayed")
    void r7_approvalTimesOut_refused() throws Exception {
        final Fixture quick = new Fixture(dir.resolve("r7"),
                org.cpnskeys.deploy.LocalSystem.Options.defaults().withApprovalTimeout(Duration.ofSeconds(1)),
                (realm, why) -> io.vertx.core.Future.succeededFuture(Optional.empty()));
        try {
            final PneOutcome o = quick.runPne("hold-r7", Optional.empty());
            assertEquals(Status.FORBIDDEN, o.status());
            assertEquals(Optional.empty(), quick.serverKcv("hold-r7"));
        } finally {
            quick.close();
        }
    }

    @Test
    @DisplayName("R8 the forwarded Key Request says the PN GW acts as proxy (the server recorded it)")
    void r8_forwardedRequest_indicatesProxy() {
        assertTrue(f.runPne("r8-sensor", Optional.empty()).stored());
        final KeyInfo k = Fixture.await(f.system.server().store().list()).stream()
                .filter(i -> i.entityId().value().equals("r8-sensor")).findFirst().orElseThrow();
        assertTrue(k.proxy());
    }

    @Test
    @DisplayName("R13 on failed authentication the PNE gets a Key Delivery without EUKey and stores nothing")
    void r13_wrongPassword_deliveryWithoutKey() throws Exception {
        final Fixture other = new Fixture(dir.resolve("r13"));
        try {
            other.system.gateway().credentials().set(other.system.user(), "cpns", "wrong".toCharArray());
            try (RecordingPne pne = new RecordingPne(other.system, EntityId.of("r13-pne")).connect()) {
                pne.sendKeyRequest(RecordingPne.proxyRequest(pne.entity, "r13-r1"));
                final JsonObject d = pne.awaitLeaf("key-delivery").json();
                assertEquals(401, d.getInteger("status"));
                assertFalse(d.containsKey("euKey"));
                assertFalse(d.containsKey("wrappedKey"));
                assertFalse(d.containsKey("keyId"));
            }
            final PneConfig config = other.pneConfig("r13-sensor", Optional.empty());
            final PneOutcome o = Fixture.await(PneApplication.requestKey(other.vertx, config));
            assertEquals(Status.UNAUTHORIZED, o.status());
            assertFalse(Files.exists(config.keyStore()), "nothing stored on the PNE");
        } finally {
            other.close();
        }
    }

    @Test
    @DisplayName("R17 acting as proxy the PN GW decrypts the EUKey and forwards it decrypted")
    void r17_proxyForwardsDecryptedKey() throws Exception {
        try (RecordingPne pne = new RecordingPne(f.system, EntityId.of("r17-pne")).connect()) {
            pne.sendKeyRequest(RecordingPne.proxyRequest(pne.entity, "r17-r1"));
            final JsonObject d = pne.awaitLeaf("key-delivery").json();
            assertTrue(d.containsKey("euKey"));
            assertFalse(d.containsKey("wrappedKey"));
            assertEquals(f.serverKcv("r17-pne").orElseThrow(),
                    KeyCheckValue.of(SecretBytes.copyOf(Base64.getDecoder().decode(d.getString("euKey")))));
        }
    }

    @Test
    @DisplayName("INP-311 comparison: one request and one delivery cross the PAN per key (plus 202), never the password or HA1")
    void inp311_panCarriesOneRequestOneDelivery_noPasswordNoHa1() throws Exception {
        try (RecordingPne pne = new RecordingPne(f.system, EntityId.of("inp311-pne")).connect()) {
            pne.sendKeyRequest(RecordingPne.proxyRequest(pne.entity, "inp311-r1"));
            pne.awaitLeaf("key-delivery");
            final long requests = pne.seen.stream().filter(s -> s.sent()).count();
            final long deliveries = pne.seen.stream().filter(s -> !s.sent() && s.leaf().equals("key-delivery")).count();
            final long others = pne.seen.stream().filter(s -> !s.sent() && !s.leaf().equals("key-delivery")).count();
            final long pendings = pne.seen.stream().filter(s -> !s.sent() && s.leaf().equals("status")
                    && s.json().getInteger("status") == 202).count();
            assertEquals(1, requests, pne.describe());
            assertEquals(1, deliveries, pne.describe());
            assertEquals(pendings, others, "the only other message is the 202 while the user decides: " + pne.describe());
            final String password = new String(f.system.password());
            final String ha1 = DigestClient.ha1(f.system.user().value(), "cpns", f.system.password()).hex();
            final byte[] ha1Raw = java.util.HexFormat.of().parseHex(ha1);
            for (final RecordingPne.Seen s : pne.seen) {
                final String text = new String(s.payload(), StandardCharsets.UTF_8);
                assertFalse(text.contains(password), "password crossed the PAN");
                assertFalse(text.toLowerCase().contains(ha1), "HA1 crossed the PAN");
                assertFalse(text.contains(Base64.getEncoder().encodeToString(ha1Raw)), "HA1 crossed the PAN");
                assertFalse(contains(s.payload(), ha1Raw), "HA1 crossed the PAN");
            }
        }
    }

    static boolean contains(final byte[] haystack, final byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
