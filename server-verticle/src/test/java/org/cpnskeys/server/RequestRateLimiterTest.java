package org.cpnskeys.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class RequestRateLimiterTest {
    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(final java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now.get());
        }
    };

    /** Verifies that 20 concurrent requests of one gateway in one second pass exactly the limit, others refused. */
    @Test
    void acquire_20ConcurrentInOneSecond_exactlyLimitPass(final Vertx vertx, final VertxTestContext ctx) {
        final RequestRateLimiter limiter = new RequestRateLimiter(vertx, clock, 7);
        final List<Future<Optional<Integer>>> all = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            all.add(limiter.acquire("gw-a"));
        }
        Future.all(all).compose(x -> limiter.acquire("gw-b")).onComplete(ctx.succeeding(other -> ctx.verify(() -> {
            assertEquals(7, all.stream().filter(f -> f.result().isEmpty()).count());
            assertEquals(13, all.stream().filter(f -> f.result().equals(Optional.of(1))).count());
            assertEquals(Optional.empty(), other, "another gateway has its own count");
            ctx.completeNow();
        })));
    }

    /** Verifies that a new second starts a new count. */
    @Test
    void acquire_nextSecond_passesAgain(final Vertx vertx, final VertxTestContext ctx) {
        final RequestRateLimiter limiter = new RequestRateLimiter(vertx, clock, 1);
        limiter.acquire("gw").compose(first -> limiter.acquire("gw").compose(second -> {
            now.addAndGet(1000);
            return limiter.acquire("gw").map(third -> List.of(first, second, third));
        })).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            assertEquals(List.of(Optional.empty(), Optional.of(1), Optional.empty()), r);
            ctx.completeNow();
        })));
    }

    /** Verifies that the limit 0 is off: nothing is counted, nothing refused. */
    @Test
    void acquire_unlimited_neverRefuses(final Vertx vertx, final VertxTestContext ctx) {
        final RequestRateLimiter limiter = new RequestRateLimiter(vertx, clock, RequestRateLimiter.UNLIMITED);
        final List<Future<Optional<Integer>>> all = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            all.add(limiter.acquire("gw"));
        }
        Future.all(all).onComplete(ctx.succeeding(x -> ctx.verify(() -> {
            assertEquals(1000, all.stream().filter(f -> f.result().isEmpty()).count());
            ctx.completeNow();
        })));
    }
}
