package org.cpnskeys.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class ReplayGuardTest {
    private static final Instant EXPIRY = Instant.now().plusSeconds(300);

    /** A clock the test moves by hand. */
    private static final class ManualClock extends Clock {
        private volatile Instant now;

        ManualClock(final Instant start) {
            now = start;
        }

        void advance(final Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(final java.time.ZoneId zone) {
            return this;
        }
    }

    @Test
    @DisplayName("R12 a (nonce, nc) pair is accepted once: the same pair again is refused, also by another guard")
    void firstUse_samePairTwice_trueThenFalse(final Vertx vertx, final VertxTestContext ctx) {
        final ReplayGuard guard = new ReplayGuard(vertx);
        guard.firstUse("nonce-1", "00000001", EXPIRY)
                .compose(first -> guard.firstUse("nonce-1", "00000001", EXPIRY).map(second -> List.of(first, second)))
                .compose(r -> Future.all(guard.firstUse("nonce-1", "00000002", EXPIRY),
                        guard.firstUse("nonce-2", "00000001", EXPIRY),
                        new ReplayGuard(vertx).firstUse("nonce-1", "00000001", EXPIRY))
                        .map(more -> List.of(r.get(0), r.get(1), more.<Boolean>resultAt(0), more.<Boolean>resultAt(1),
                                more.<Boolean>resultAt(2))))
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    assertEquals(List.of(true, false, true, true, false), r);
                    ctx.completeNow();
                })));
    }

    @Test
    @DisplayName("R12 a replay is refused until the nonce expired; then the span is dropped whole, and the replay"
            + " is still refused")
    void replay_refusedBeforeAndAfterTheSpanIsDropped(final Vertx vertx, final VertxTestContext ctx) {
        final Instant start = Instant.parse("2030-01-01T00:00:00Z");
        final ManualClock clock = new ManualClock(start);
        final ReplayGuard guard = new ReplayGuard(vertx, clock);
        final Instant expiry = start.plusSeconds(300);
        final List<Boolean> seen = new ArrayList<>();
        guard.firstUse("nonce-old", "00000001", expiry).onSuccess(seen::add)
                .compose(v -> {
                    clock.advance(Duration.ofSeconds(299));
                    return guard.firstUse("nonce-old", "00000001", expiry).onSuccess(seen::add);
                })
                .compose(v -> {
                    // long after expiry: a use of a newer nonce drops the old span; the old pair stays refused
                    clock.advance(Duration.ofSeconds(ReplayGuard.GRACE_SECONDS + 2 * ReplayGuard.BUCKET_SECONDS));
                    return guard.firstUse("nonce-new", "00000001", clock.instant().plusSeconds(300)).onSuccess(seen::add);
                })
                .compose(v -> guard.firstUse("nonce-old", "00000001", expiry).onSuccess(seen::add))
                .compose(v -> guard.firstUse("nonce-old", "00000002", expiry).onSuccess(seen::add))
                .compose(v -> guard.heldPairs(expiry))
                .onComplete(ctx.succeeding(oldSpanSize -> ctx.verify(() -> {
                    assertEquals(List.of(true, false, true, false, false), seen);
                    assertEquals(0, oldSpanSize, "the old span was cleared");
                    assertEquals(1, guard.spans(), "only the current span is held");
                    ctx.completeNow();
                })));
    }

    @Test
    @DisplayName("R12 racing uses of the same pairs from four threads and two guards of one Vert.x: each pair is"
            + " accepted exactly once")
    void racingUses_eachPairAcceptedOnce(final Vertx vertx, final VertxTestContext ctx) throws Exception {
        final ReplayGuard[] guards = {new ReplayGuard(vertx), new ReplayGuard(vertx)};
        final int pairs = 20_000;
        final java.util.concurrent.atomic.AtomicIntegerArray accepted = new java.util.concurrent.atomic.AtomicIntegerArray(pairs);
        final java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            final List<java.util.concurrent.Future<?>> runs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                final ReplayGuard guard = guards[t % 2];
                runs.add(pool.submit(() -> {
                    for (int i = 0; i < pairs; i++) {
                        // ask the way the server does: the answer is ready at once (no cluster)
                        if (guard.firstUse("nonce-" + (i % 7), String.format("%08x", i), EXPIRY).result()) {
                            accepted.incrementAndGet(i);
                        }
                    }
                }));
            }
            for (final java.util.concurrent.Future<?> r : runs) {
                r.get(20, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        ctx.verify(() -> {
            for (int i = 0; i < pairs; i++) {
                assertEquals(1, accepted.get(i), "pair " + i);
            }
        });
        guards[0].heldPairs(EXPIRY).onComplete(ctx.succeeding(held -> ctx.verify(() -> {
            assertEquals(pairs, held);
            ctx.completeNow();
        })));
    }

    @Test
    @DisplayName("100,000 used pairs are held in a handful of spans, not one timer each, and each is refused again")
    void manyPairs_fewSpans(final Vertx vertx, final VertxTestContext ctx) {
        final ReplayGuard guard = new ReplayGuard(vertx);
        final List<Future<Boolean>> first = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            first.add(guard.firstUse("nonce-" + (i % 100), String.format("%08x", i), EXPIRY.plusSeconds(i % 600)));
        }
        Future.all(first).compose(v -> {
            final List<Future<Boolean>> again = new ArrayList<>();
            for (int i = 0; i < 100_000; i += 997) {
                again.add(guard.firstUse("nonce-" + (i % 100), String.format("%08x", i), EXPIRY.plusSeconds(i % 600)));
            }
            return Future.all(again).map(all -> all.<Boolean>list());
        }).onComplete(ctx.succeeding(again -> ctx.verify(() -> {
            assertEquals(true, first.stream().allMatch(Future::result));
            assertEquals(false, again.stream().anyMatch(b -> b));
            assertEquals(true, guard.spans() <= 11, "600 s of expiries in 60 s spans: " + guard.spans());
            ctx.completeNow();
        })));
    }
}
