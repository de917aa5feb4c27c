package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.pne.LoginPrompt;
import org.cpnskeys.pne.PneApplication;
import org.cpnskeys.pne.PneConfig;
import org.cpnskeys.pne.PneOutcome;
import org.cpnskeys.pne.PneSession;
import org.cpnskeys.pne.PneVerticle;
import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.UserId;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * [H] 4g (the PNE's half), the attacker who chooses the realm: a malicious gateway (or whoever answers in the
 * server's place) challenges a PNE with UI with a realm of its choosing, to have the user type their password for
 * it (HA1 is MD5(user:realm:password): an answer for a realm the attacker picked is one they can test guesses
 * against, or one that holds whatever they smuggle into the realm). The PNE refuses a malformed realm or nonce
 * outright, and, with its realm pinned ({@code cpns pne --realm}), any realm other than its own; in both cases
 * without asking its user for the password.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ChallengeRealmAttackIT {
    @TempDir
    Path dir;

    /** The user at the PNE's keyboard: counts how often the password was asked for. */
    private static final class CountingLogin implements LoginPrompt {
        final AtomicInteger asked = new AtomicInteger();
        private final LoginPrompt real = LoginPrompt.fixed(UserId.of("alice"), "realm-test-password".toCharArray());

        @Override
        public Future<UserId> userId() {
            return real.userId();
        }

        @Override
        public Future<char[]> password(final String realm) {
            asked.incrementAndGet();
            return real.password(realm);
        }
    }

    private static JsonObject challenge(final JsonObject request, final String realm, final String nonce) {
        return new JsonObject().put("v", CpnsMessage.VERSION).put("type", "challenge")
                .put("requestId", request.getString("requestId")).put("entityId", request.getString("entityId"))
                .put("status", 401).put("realm", realm).put("nonce", nonce).put("qop", "auth").put("algorithm", "MD5")
                .put("stale", false);
    }

    /** Runs a PNE with UI against a rogue gateway that challenges every request with {@code realm}, {@code nonce}. */
    private PneOutcome run(final String entity, final String realm, final String nonce, final Optional<String> pinned,
            final CountingLogin login, final RogueGatewayHolder holder) throws Exception {
        try (RogueGateway gateway = new RogueGateway(dir.resolve(entity), r -> r.containsKey("authorization")
                ? Optional.empty() : Optional.of(new RogueGateway.Reply("challenge", challenge(r, realm, nonce))))) {
            holder.gateway = gateway;
            final PneConfig base = gateway.pne(entity, Optional.of(login), 2);
            final PneConfig config = pinned.map(base::withRealm).orElse(base);
            final Vertx vertx = Vertx.vertx();
            try {
                return Fixture.await(PneApplication.requestKey(vertx, config));
            } finally {
                Fixture.await(vertx.close());
            }
        }
    }

    /** Keeps the rogue gateway reachable after the run, for its record of requests. */
    private static final class RogueGatewayHolder {
        RogueGateway gateway;
    }

    @ParameterizedTest(name = "[{index}] realm \"{0}\", nonce \"{1}\"")
    @CsvSource(delimiter = '|', value = {
        "cpns:evil|bm9uY2UtMQ",
        "'x'|bm9uY2UtMQ==",
        "cpns|bm9uY2U/MQ",
        "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr|bm9uY2UtMQ"})
    @DisplayName("[H] 4g a PNE with UI refuses a challenge with a malformed realm or nonce, without asking the password")
    void malformedRealmOrNonce_refused_passwordNeverAsked(final String realm, final String nonce) throws Exception {
        final CountingLogin login = new CountingLogin();
        final RogueGatewayHolder holder = new RogueGatewayHolder();
        try (LogCapture logs = LogCapture.of(PneVerticle.class)) {
            final PneOutcome o = run("phone-malformed", realm, nonce, Optional.empty(), login, holder);
            assertNotEquals(Status.OK, o.status(), o.reason());
            assertEquals(0, login.asked.get(), "the user was asked for the password");
            assertTrue(holder.gateway.requests.stream().noneMatch(r -> r.containsKey("authorization")),
                    "the PNE answered the challenge: " + holder.gateway.requests);
            assertTrue(logs.warned("malformed message from the gateway"), "refusal logged: " + logs.warnings());
        }
    }

    @Test
    @DisplayName("[H] 4g a PNE with UI pinned to its realm refuses a well-formed challenge for another realm (401),"
            + " without asking the password")
    void pinnedRealm_otherRealm_refused401_passwordNeverAsked() throws Exception {
        final CountingLogin login = new CountingLogin();
        final RogueGatewayHolder holder = new RogueGatewayHolder();
        try (LogCapture logs = LogCapture.of(PneSession.class)) {
            final PneOutcome o = run("phone-pinned", "evil.example", "bm9uY2UtMQ", Optional.of("cpns"), login, holder);
            assertEquals(Status.UNAUTHORIZED, o.status(), o.reason());
            assertTrue(o.reason().contains("another realm"), o.reason());
            assertEquals(0, login.asked.get(), "the user was asked for the password");
            assertTrue(holder.gateway.requests.stream().noneMatch(r -> r.containsKey("authorization")));
            assertTrue(logs.warned("answers only realm \"cpns\""), "refusal logged: " + logs.warnings());
        }
    }

    @Test
    @DisplayName("[H] 4g the same well-formed foreign realm without a pin is answered: the pin is what refuses it")
    void unpinnedRealm_otherRealm_answered() throws Exception {
        final CountingLogin login = new CountingLogin();
        final RogueGatewayHolder holder = new RogueGatewayHolder();
        final PneOutcome o = run("phone-unpinned", "evil.example", "bm9uY2UtMQ", Optional.empty(), login, holder);
        assertNotEquals(Status.OK, o.status(), "the rogue gateway never delivers");
        assertEquals(1, login.asked.get());
        assertTrue(holder.gateway.requests.stream().anyMatch(r -> r.containsKey("authorization")));
    }
}
