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
                .compose(v -> vertx.sharedData().<String, Boolean>getAsyncMap(ReplayGuard.MAP_PREFIX
                        + Math.floorDiv(expiry.getEpochSecond(), ReplayGuard.BUCKET_SECONDS)).compose(m -> m.size()))
                .onComplete(ctx.succeeding(oldSpanSize -> ctx.verify(() -> {
                    assertEquals(List.of(true, false, true, false, false), seen);
                    assertEquals(0, oldSpanSize, "the old span was cleared");
                    assertEquals(1, guard.spans(), "only the current span is held");
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
