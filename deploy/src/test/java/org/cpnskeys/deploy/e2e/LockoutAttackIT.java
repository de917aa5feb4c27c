package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.server.ServerApplication;
import org.cpnskeys.server.ServerConfig;
import org.cpnskeys.server.auth.HtdigestFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack ([H] 4b): password guessing against the server's lockout. The attacker holds one or more registered
 * gateways (their cloud tokens) but not the user's password, and sends wrong digest answers for the victim's user
 * ID. What must hold, with the server's default limits (5 failures per user and gateway, growing delays from 10
 * failures per user across gateways):
 * <ul>
 * <li>another gateway's wrong answers never lock the owner out of their own gateway;
 * <li>many gateways together are slowed by growing delays, while the owner's gateway still gets its key;
 * <li>replaying an answer that was right once does not wipe the failures counted since;
 * <li>50 wrong answers sent back to back: at most the limit of them are judged.
 * </ul>
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LockoutAttackIT {
    /** The server's default: failures of one user through one gateway before that pair is locked out. */
    private static final int PAIR_LIMIT = 5;
    /** The server's default: failures of one user, all gateways together, before delays begin. */
    private static final int USER_THRESHOLD = 10;
    private static final String PASSWORD = "the-right-password";

    @TempDir
    static Path dir;
    static Vertx vertx;
    static ServerApplication server;

    @BeforeAll
    static void start() throws Exception {
        final Path serverDir = dir.resolve("server");
        for (final String user : List.of("alice", "bob", "carol", "dave")) {
            HtdigestFile.addOrReplace(serverDir.resolve("users.htdigest"), UserId.of(user), ServerConfig.DEFAULT_REALM,
                    PASSWORD.toCharArray());
        }
        vertx = Vertx.vertx();
        server = Fixture.await(ServerApplication.start(vertx, ServerConfig.defaults(serverDir, 0)));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            Fixture.await(server.stop());
        }
        if (vertx != null) {
            Fixture.await(vertx.close());
        }
    }

    /** One gateway's session for one user: the nonce it was given and the next nonce count. */
    private static final class Session implements AutoCloseable {
        final CloudGatewayClient gw;
        final String user;
        final String nonce;
        int nc;
        int requests;

        Session(final String gateway, final String user) throws Exception {
            gw = new CloudGatewayClient(server, GatewayId.of(gateway));
            this.user = user;
            nonce = gw.challengeNonce(CloudGatewayClient.request(EntityId.of(gateway + "-dev"), gateway + "-c", user,
                    true));
        }

        /** The next answer: the user's digest with the right or a wrong password, for a new request. */
        JsonObject answer(final boolean correct) {
            final Ha1 ha1 = DigestClient.ha1(user, ServerConfig.DEFAULT_REALM,
                    (correct ? PASSWORD : "guess-" + nc).toCharArray());
            final String id = gw.id.value() + "-r" + (++requests);
            return CloudGatewayClient.answered(CloudGatewayClient.request(EntityId.of(gw.id.value() + "-dev"), id, user,
                    true), ServerConfig.DEFAULT_REALM, nonce, DigestClient.nc(++nc), "cnonce-" + nc, ha1);
        }

        JsonObject send(final JsonObject answer) throws Exception {
            gw.send(answer);
            return gw.awaitFor(answer.getString("requestId")).json();
        }

        JsonObject attempt(final boolean correct) throws Exception {
            return send(answer(correct));
        }

        @Override
        public void close() {
            gw.close();
        }
    }

    @Test
    @DisplayName("4b another gateway's wrong answers lock that gateway out for the user, never the owner's own gateway")
    void wrongAnswersFromAnotherGateway_doNotLockOwnerOutOfOwnGateway() throws Exception {
        try (Session mallory = new Session("mallory-gw", "alice"); Session home = new Session("alice-home-gw", "alice")) {
            final List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < PAIR_LIMIT + 2; i++) {
                statuses.add(mallory.attempt(false).getInteger("status"));
            }
            assertEquals(List.of(401, 401, 401, 401, 401), statuses.subList(0, PAIR_LIMIT), statuses::toString);
            assertEquals(429, statuses.get(statuses.size() - 1), "the guessing gateway is locked out: " + statuses);
            final JsonObject owner = home.attempt(true);
            assertEquals(200, owner.getInteger("status"), owner::encode);
            // and the guessing gateway stays locked out even with the right password
            assertEquals(429, mallory.attempt(true).getInteger("status"));
        }
    }

    @Test
    @DisplayName("4b many gateways guessing one user are slowed by growing delays; the owner's gateway is not locked out")
    void wrongAnswersFromManyGateways_growingDelays_ownerStillServed() throws Exception {
        final List<Session> guessers = new ArrayList<>();
        try (Session home = new Session("bob-home-gw", "bob")) {
            for (int g = 0; g < USER_THRESHOLD / 2; g++) {
                guessers.add(new Session("guesser-" + g, "bob"));
            }
            final List<Integer> statuses = new ArrayList<>();
            for (final Session s : guessers) {
                statuses.add(s.attempt(false).getInteger("status"));
                statuses.add(s.attempt(false).getInteger("status"));
            }
            assertTrue(statuses.stream().allMatch(x -> x == 401), statuses::toString);
            final JsonObject delayed = guessers.get(0).attempt(false);
            assertEquals(429, delayed.getInteger("status"), "past the user's threshold, guesses wait: " + delayed.encode());
            final int first = delayed.getInteger("retryAfter");

            final JsonObject owner = home.attempt(true);
            assertEquals(200, owner.getInteger("status"), "the owner's gateway is not locked out: " + owner.encode());

            final int second = nextJudgedDelay(guessers.get(0), first);
            final int third = nextJudgedDelay(guessers.get(0), second);
            assertTrue(first < second && second < third, "the delays grow: " + first + ", " + second + ", " + third);
            assertEquals(200, home.attempt(true).getInteger("status"), "the owner's gateway is still served");
        } finally {
            guessers.forEach(Session::close);
        }
    }

    /**
     * Sends wrong answers until one is judged (its refusal names a longer delay than {@code before}: a guess
     * made while the delay runs is refused unjudged, with what is left of it), bounded; returns the new delay.
     */
    private static int nextJudgedDelay(final Session s, final int before) throws Exception {
        final long end = System.nanoTime() + Duration.ofSeconds(before + 20L).toNanos();
        int last = 0;
        while (System.nanoTime() < end) {
            final JsonObject reply = s.attempt(false);
            assertEquals(429, reply.getInteger("status"), reply::encode);
            last = reply.getInteger("retryAfter");
            if (last > before) {
                return last;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L); // pace the polls of a running delay
        }
        throw new AssertionError("no guess was judged within " + (before + 20) + " s; last retryAfter " + last);
    }

    @Test
    @DisplayName("4b a replayed right answer does not reset the failures counted since it was used")
    void replayedRightAnswer_doesNotResetFailureCount() throws Exception {
        try (Session s = new Session("carol-gw", "carol")) {
            final JsonObject rightOnce = s.answer(true);
            assertEquals(200, s.send(rightOnce).getInteger("status"));
            for (int i = 0; i < PAIR_LIMIT - 1; i++) {
                assertEquals(401, s.attempt(false).getInteger("status"));
            }
            final JsonObject replay = s.send(rightOnce);
            assertEquals(401, replay.getInteger("status"), "the replay is refused: " + replay.encode());
            assertEquals(401, s.attempt(false).getInteger("status"), "the fifth failure");
            final JsonObject after = s.attempt(true);
            assertEquals(429, after.getInteger("status"), "five failures lock the pair out, even for the right"
                    + " password: the replay reset nothing: " + after.encode());
        }
    }

    @Test
    @DisplayName("4b 50 wrong answers sent back to back: at most the limit are judged, the rest refused unjudged")
    void fiftyConcurrentWrongAnswers_atMostTheLimitJudged() throws Exception {
        try (Session s = new Session("flood-gw", "dave")) {
            final List<JsonObject> answers = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                answers.add(s.answer(false));
            }
            final java.util.Set<String> ids = new java.util.HashSet<>();
            answers.forEach(a -> ids.add(a.getString("requestId")));
            s.gw.sendAll(answers);
            // the replies come in any order: collect them from everything received
            Fixture.eventually(Duration.ofSeconds(60), "50 replies", () -> s.gw.received().stream()
                    .filter(r -> ids.contains(r.json().getString("requestId"))).count() >= 50);
            int wrongReported = 0;
            int locked = 0;
            for (final CloudGatewayClient.Reply r : s.gw.received()) {
                if (ids.contains(r.json().getString("requestId"))) {
                    final int status = r.json().getInteger("status");
                    wrongReported += status == 401 ? 1 : 0;
                    locked += status == 429 ? 1 : 0;
                }
            }
            assertEquals(50, wrongReported + locked, "every answer refused, as wrong or as locked out");
            assertTrue(wrongReported <= PAIR_LIMIT, "answers reported wrong: " + wrongReported);
            assertEquals(PAIR_LIMIT, Fixture.await(server.store().failures(UserId.of("dave"), s.gw.id)).pair()
                    .failures(), "failures counted: each one judged");
            assertEquals(429, s.attempt(true).getInteger("status"), "the pair is locked out afterwards");
        }
    }
}
