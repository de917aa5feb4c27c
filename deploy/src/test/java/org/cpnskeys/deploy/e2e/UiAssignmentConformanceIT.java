package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.json.JsonObject;

import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.gateway.GatewayConfig;
import org.cpnskeys.pne.ConsoleLoginPrompt;
import org.cpnskeys.pne.EuKeyStore;
import org.cpnskeys.pne.LoginPrompt;
import org.cpnskeys.pne.PneApplication;
import org.cpnskeys.pne.PneConfig;
import org.cpnskeys.pne.PneOutcome;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.protocol.crypto.KeyCheckValue;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.server.store.KeyInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A PNE with UI (R1, R2, R5, R9, R11, R16, R18): the gateway relays the exchange, the PNE answers the digest
 * challenge and decrypts the key itself. This gateway has NO user credentials configured, so every key here
 * proves that the server authenticated the PNE, not the gateway (R9).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UiAssignmentConformanceIT {
    @TempDir
    static Path dir;
    static Fixture f;

    @BeforeAll
    static void start() {
        f = new Fixture(dir, LocalSystem.Options.defaults().withoutGatewayCredentials(GatewayConfig.MissingCredentials.DROP),
                (realm, why) -> io.vertx.core.Future.succeededFuture(Optional.empty()));
    }

    @AfterAll
    static void stop() {
        if (f != null) {
            f.close();
        }
    }

    @Test
    @DisplayName("R1 a PNE with UI lets the user type User ID and password, and gets its key with them")
    void r1_typedCredentials_keyDelivered() {
        final String typed = f.system.user().value() + "\n" + new String(f.system.password()) + "\n";
        final ByteArrayOutputStream screen = new ByteArrayOutputStream();
        final LoginPrompt keyboard = new ConsoleLoginPrompt(f.vertx, new BufferedReader(new StringReader(typed)),
                new PrintStream(screen, true, StandardCharsets.UTF_8));
        final PneOutcome o = f.runPne("r1-phone", Optional.of(keyboard));
        assertTrue(o.stored(), o.reason());
        final String shown = screen.toString(StandardCharsets.UTF_8);
        assertTrue(shown.contains("User ID"), shown);
        assertTrue(shown.contains("Password"), shown);
        assertFalse(shown.contains(new String(f.system.password())), "the password is not echoed by the prompt");
    }

    @Test
    @DisplayName("R2 on the user's request the PNE sends a Key Request to the PN GW")
    void r2_userRequest_pneSendsKeyRequest() throws Exception {
        try (RecordingPne pne = new RecordingPne(f.system, EntityId.of("r2-phone")).connect()) {
            pne.sendKeyRequest(uiRequest(pne.entity, "r2-r1"));
            final RecordingPne.Seen reply = pne.awaitLeaf("challenge");
            assertEquals("r2-r1", reply.json().getString("requestId"));
            assertEquals("cpns/pan/r2-phone/key-request", pne.seen.get(0).topic());
        }
    }

    @Test
    @DisplayName("R5 the PN GW forwards a PNE's Key Request to the CPNS Server")
    void r5_gatewayForwards_serverAssigns() {
        assertTrue(f.runPne("r5-phone", Optional.of(f.system.typedLogin())).stored());
        final KeyInfo k = Fixture.await(f.system.server().store().list()).stream()
                .filter(i -> i.entityId().value().equals("r5-phone")).findFirst().orElseThrow();
        assertEquals("home-gw", k.gatewayId().value());
        assertFalse(k.proxy());
    }

    @Test
    @DisplayName("R9 without proxy the server authenticates the PNE: its own right password works on a gateway without credentials, a wrong one fails")
    void r9_nonProxy_pneAuthenticated() {
        assertTrue(f.system.gateway().credentials().current().isEmpty(), "the gateway holds no credentials");
        assertTrue(f.runPne("r9-phone", Optional.of(f.system.typedLogin())).stored());
        final PneOutcome wrong = f.runPne("r9-phone-wrong",
                Optional.of(LoginPrompt.fixed(f.system.user(), "not-the-password".toCharArray())));
        assertEquals(Status.UNAUTHORIZED, wrong.status());
        assertEquals(Optional.empty(), f.serverKcv("r9-phone-wrong"));
    }

    @Test
    @DisplayName("R11 the authentication is HTTP digest: the PNE is challenged (realm, nonce, qop auth, MD5) and answers with a digest")
    void r11_digestChallengeAndAnswer() throws Exception {
        try (RecordingPne pne = new RecordingPne(f.system, EntityId.of("r11-phone")).connect()) {
            pne.sendKeyRequest(uiRequest(pne.entity, "r11-r1"));
            final JsonObject c = pne.awaitLeaf("challenge").json();
            assertEquals(401, c.getInteger("status"));
            assertEquals("cpns", c.getString("realm"));
            assertEquals("auth", c.getString("qop"));
            assertEquals("MD5", c.getString("algorithm"));
            final String nonce = c.getString("nonce");
            final Ha1 ha1 = DigestClient.ha1(f.system.user().value(), "cpns", f.system.password());
            pne.sendKeyRequest(CloudGatewayClient.answered(uiRequest(pne.entity, "r11-r1"), "cpns", nonce,
                    "00000001", "r11cnonce", ha1));
            assertEquals(200, pne.awaitLeaf("key-delivery").json().getInteger("status"));
        }
    }

    @Test
    @DisplayName("R16 the PN GW forwards the server's Key Delivery to a PNE with UI untouched (still wrapped)")
    void r16_deliveryForwardedWrapped() throws Exception {
        try (RecordingPne pne = new RecordingPne(f.system, EntityId.of("r16-phone")).connect()) {
            pne.sendKeyRequest(uiRequest(pne.entity, "r16-r1"));
            final String nonce = pne.awaitLeaf("challenge").json().getString("nonce");
            final Ha1 ha1 = DigestClient.ha1(f.system.user().value(), "cpns", f.system.password());
            pne.sendKeyRequest(CloudGatewayClient.answered(uiRequest(pne.entity, "r16-r1"), "cpns", nonce,
                    "00000001", "r16cnonce", ha1));
            final JsonObject d = pne.awaitLeaf("key-delivery").json();
            assertFalse(d.containsKey("euKey"), "the gateway did not (and could not) open it");
            assertEquals(nonce, CloudGatewayClient.wrapped(d).nonce());
            try (SecretBytes key = CloudGatewayClient.open(d, pne.entity.value(), "r16-r1", ha1)) {
                assertEquals(f.serverKcv("r16-phone").orElseThrow(), KeyCheckValue.of(key));
            }
        }
    }

    @Test
    @DisplayName("R18 the PNE with UI decrypts the EUKey itself and stores it")
    void r18_pneDecryptsAndStores() throws Exception {
        final PneConfig config = f.pneConfig("r18-phone", Optional.of(f.system.typedLogin()));
        final PneOutcome o = Fixture.await(PneApplication.requestKey(f.vertx, config));
        assertTrue(o.stored(), o.reason());
        try (SecretBytes key = EuKeyStore.load(config.keyStore(), config.keyStorePassword(), config.entityId())) {
            assertEquals(f.serverKcv("r18-phone").orElseThrow(), KeyCheckValue.of(key));
        }
    }

    static JsonObject uiRequest(final EntityId entity, final String requestId) {
        return new JsonObject().put("v", 2).put("type", "key-request").put("requestId", requestId)
                .put("entityId", entity.value()).put("proxy", false).put("userId", "alice");
    }
}
