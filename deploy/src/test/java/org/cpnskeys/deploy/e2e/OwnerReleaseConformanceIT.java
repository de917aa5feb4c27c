package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.deploy.OfflineAdminCommandsTest;
import org.cpnskeys.deploy.OfflineAdminCommandsTest.Run;
import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.pne.PneApplication;
import org.cpnskeys.pne.PneConfig;
import org.cpnskeys.pne.PneOutcome;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.server.OperationsConfig;
import org.cpnskeys.server.store.KeyInfo;
import org.cpnskeys.server.store.KeyState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The owner's release (PROTOCOL.md 2.3, 6.1a) end to end on the embedded brokers with the TLS PAN, the real server,
 * gateway and PNE: {@code cpns gateway release} on the running gateway (the user's own action, answered with HA1),
 * a PNE with UI releasing itself, another user claiming the entity afterwards, and the refusals (wrong password,
 * another user's entity). Bob plays his own gateway on the cloud broker.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class OwnerReleaseConformanceIT {
    @TempDir
    static Path dir;
    static CloudGatewaySystem system;
    static Fixture f;
    static CloudGatewayClient bobsGateway;
    static final char[] BOB = "bob-secret-pw".toCharArray();
    private static final AtomicInteger SEQ = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        system = CloudGatewaySystem.start(new Fixture(dir,
                LocalSystem.Options.defaults().withServerOperations(OperationsConfig.adminOnLoopback(0)),
                (realm, why) -> Future.succeededFuture(Optional.empty())), "bobs-gw");
        f = system.f;
        bobsGateway = system.gw;
        final Run add = OfflineAdminCommandsTest.cpns("bob-secret-pw\n", "user", "add", "--password-stdin", "bob", "--admin-url",
                "http://127.0.0.1:" + f.system.server().adminPort().orElseThrow(), "--file",
                f.system.dir().resolve("server").resolve("users.htdigest").toString());
        assertEquals(0, add.code(), add.err());
    }

    @AfterAll
    static void stop() {
        if (system != null) {
            system.close();
        }
    }

    /** {@code cpns gateway release --entity E} against the running gateway. */
    static Run release(final String entity) {
        return OfflineAdminCommandsTest.cpns("", "gateway", "release", "--entity", entity, "--data",
                f.system.dir().resolve("gateway").toString(), "--timeout", "60s");
    }

    /** Bob's gateway asks for the entity's key with his password; returns the final reply. */
    static JsonObject bobClaims(final String entity) throws Exception {
        final String requestId = "bob-" + SEQ.incrementAndGet();
        final Ha1 ha1 = DigestClient.ha1("bob", "cpns", BOB);
        final JsonObject request = CloudGatewayClient.request(EntityId.of(entity), requestId, "bob", true);
        bobsGateway.send(request);
        final CloudGatewayClient.Reply challenge = bobsGateway.awaitFor(requestId);
        assertEquals("challenge", challenge.leaf());
        bobsGateway.send(CloudGatewayClient.answered(request, "cpns", challenge.json().getString("nonce"), "00000001",
                "cnonce-bob-" + SEQ.incrementAndGet(), ha1));
        return bobsGateway.awaitFor(requestId).json();
    }

    static KeyState stateOf(final String entity) {
        final List<KeyInfo> keys = new ArrayList<>(Fixture.await(f.system.server().store().list()));
        keys.removeIf(k -> !k.entityId().value().equals(entity));
        return keys.get(keys.size() - 1).state();
    }

    static List<JsonObject> audit() throws Exception {
        final List<JsonObject> lines = new ArrayList<>();
        for (final String l : Files.readAllLines(f.system.dir().resolve("server").resolve("audit.jsonl"))) {
            lines.add(new JsonObject(l));
        }
        return lines;
    }

    @Test
    @DisplayName("Owner release by 'cpns gateway release': the key is RELEASED and audited, and another user claims the entity")
    void gatewayRelease_byTheOwner_releasedThenAnotherUserClaims() throws Exception {
        assertTrue(f.runPne("rel-bulb", Optional.empty()).stored());
        assertEquals(409, bobClaims("rel-bulb").getInteger("status"), "alice's device: not bob's to claim");

        final Run run = release("rel-bulb");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("released rel-bulb"), run.out());
        assertEquals(KeyState.RELEASED, stateOf("rel-bulb"));
        assertEquals(Optional.empty(), f.serverKcv("rel-bulb"), "no active key any more");
        Fixture.eventually(java.time.Duration.ofSeconds(10), "the release audited", () -> {
            try {
                return audit().stream().anyMatch(l -> "owner-released".equals(l.getString("event"))
                        && "rel-bulb".equals(l.getString("entity")) && "alice".equals(l.getString("user"))
                        && "home-gw".equals(l.getString("gateway")));
            } catch (Exception e) {
                return false;
            }
        });

        final JsonObject claimed = bobClaims("rel-bulb");
        assertEquals(200, claimed.getInteger("status"), claimed.encode());
        assertEquals("bob", claimed.getString("userId"));
    }

    @Test
    @DisplayName("Owner release refused for the user who does not own the entity (409, same as a Key Request); the key stays active")
    void gatewayRelease_ofAnotherUsersEntity_refused409() throws Exception {
        assertEquals(200, bobClaims("bobs-lamp").getInteger("status"));
        final Run run = release("bobs-lamp");
        assertEquals(1, run.code());
        assertTrue(run.err().contains("entity is assigned to another user") && run.err().contains("409"), run.err());
        assertEquals(KeyState.ACTIVE, stateOf("bobs-lamp"));
    }

    @Test
    @DisplayName("Owner release with a wrong password on the gateway: 401, nothing released")
    void gatewayRelease_wrongPassword_refused401() throws Exception {
        assertTrue(f.runPne("rel-plug", Optional.empty()).stored());
        final var credentials = f.system.gateway().credentials();
        credentials.set(f.system.user(), "cpns", "not-the-password".toCharArray());
        try {
            final Run run = release("rel-plug");
            assertEquals(1, run.code());
            assertTrue(run.err().contains("401"), run.err());
        } finally {
            credentials.set(f.system.user(), "cpns", f.system.password());
        }
        assertEquals(KeyState.ACTIVE, stateOf("rel-plug"));
    }

    @Test
    @DisplayName("Owner release by a PNE with UI: the gateway relays it, the PNE deletes its EUKey, another user claims the entity")
    void pneWithUi_releasesItself_keyDeletedAndEntityFree() throws Exception {
        final PneConfig config = f.pneConfig("rel-phone", Optional.of(f.system.typedLogin()));
        assertTrue(Fixture.await(PneApplication.requestKey(f.vertx, config)).stored());
        assertTrue(Files.exists(config.keyStore()));

        final PneOutcome released = Fixture.await(PneApplication.releaseKey(f.vertx, config));
        assertEquals(Status.OK, released.status(), released.reason());
        assertFalse(Files.exists(config.keyStore()), "the PNE deleted its EUKey");
        assertEquals(KeyState.RELEASED, stateOf("rel-phone"));
        assertEquals(200, bobClaims("rel-phone").getInteger("status"));
    }
}
