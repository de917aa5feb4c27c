package org.cpnskeys.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.server.store.SqliteEuKeyRepository;

/** The gate on a real store (SQLite): what is reserved, counted and kept in the process. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class AttemptGateTest {
    private static final UserId ALICE = UserId.of("alice");
    private static final GatewayId GW = GatewayId.of("gw-1");

    @TempDir
    Path dir;

    /** Verifies that right answers, however many, leave nothing held in the process and write nothing. */
    @Test
    void rightAnswers_holdNothingAndCountNothing(final Vertx vertx, final VertxTestContext ctx) {
        SqliteEuKeyRepository.open(vertx, dir.resolve("eukeys.db")).compose(store -> {
            final AttemptGate gate = new AttemptGate(store, AttemptPolicy.DEFAULT, Clock.systemUTC());
            final List<Future<String>> all = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                all.add(gate.reserve(ALICE, GW).compose(a -> a.judge(Future.succeededFuture("ok"))));
            }
            return Future.all(all).compose(x -> store.failures(ALICE, GW)).map(s -> {
                ctx.verify(() -> {
                    assertEquals(0, gate.scopes(), "nothing held after successes");
                    assertEquals(0, s.pair().failures() + s.user().failures() + s.gateway().failures());
                });
                return store;
            });
        }).compose(SqliteEuKeyRepository::close).onComplete(ctx.succeedingThenComplete());
    }

    /**
     * Verifies that while five answers of one pair are being judged a sixth is refused unjudged (429), and that
     * once the five are counted wrong (401 each) the pair stays refused.
     */
    @Test
    void answersBeingJudged_fillTheBudget_nextRefusedUnjudged(final Vertx vertx, final VertxTestContext ctx) {
        SqliteEuKeyRepository.open(vertx, dir.resolve("eukeys.db")).compose(store -> {
            final AttemptGate gate = new AttemptGate(store, AttemptPolicy.DEFAULT, Clock.systemUTC());
            final Promise<String> verdicts = Promise.promise();
            final List<Future<String>> judged = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                judged.add(gate.reserve(ALICE, GW).compose(a -> a.judge(verdicts.future())));
            }
            final Future<AttemptGate.Attempt> sixth = gate.reserve(ALICE, GW);
            ctx.verify(() -> assertTrue(sixth.failed() && sixth.cause() instanceof LockedOutException,
                    "a sixth while five are judged"));
            // another user through the same gateway is not held up
            final Future<AttemptGate.Attempt> other = gate.reserve(UserId.of("bob"), GW);
            ctx.verify(() -> assertTrue(other.succeeded()));
            other.result().judge(Future.succeededFuture("ok"));
            verdicts.fail(new ProtocolException(Status.UNAUTHORIZED, "authentication failed"));
            return Future.join(judged).transform(x -> store.failures(ALICE, GW)).map(s -> {
                ctx.verify(() -> {
                    assertEquals(5, s.pair().failures(), "five judged");
                    assertEquals(5, judged.stream().filter(f -> !(f.cause() instanceof LockedOutException)
                            && f.cause() instanceof ProtocolException p && p.status() == Status.UNAUTHORIZED).count(),
                            "each reported wrong (401)");
                    final Future<AttemptGate.Attempt> after = gate.reserve(ALICE, GW);
                    assertTrue(after.failed() && ((LockedOutException) after.cause()).retryAfterSeconds() > 60,
                            "locked out for the window");
                });
                return store;
            });
        }).compose(SqliteEuKeyRepository::close).onComplete(ctx.succeedingThenComplete());
    }
}
