package org.cpnskeys.server.auth;

import static org.cpnskeys.server.TestFutures.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import org.cpnskeys.server.ManualClock;

/** The admin API's lockout per client address: counted in a window, released when it ends, forgotten on success. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FailureLimiterTest {
    private static final FailureLimiter.Limit LIMIT = new FailureLimiter.Limit(3, Duration.ofMinutes(5));
    private static final String ADDRESS = "127.0.0.1";

    private final ManualClock clock = new ManualClock();
    private FailureLimiter limiter;

    @BeforeEach
    void start(final Vertx vertx) {
        limiter = new FailureLimiter(vertx, clock);
    }

    @Test
    void noFailures_notLockedOut_andNothingCounted() {
        final FailureLimiter.Standing s = await(limiter.standing(ADDRESS, LIMIT));
        assertEquals(Optional.empty(), s.lockedFor());
        assertFalse(s.failuresCounted(), "a success then has nothing to reset");
    }

    @Test
    void failuresBelowTheLimit_notLockedOut_butCounted() {
        fail(LIMIT.maxFailures() - 1);
        final FailureLimiter.Standing s = await(limiter.standing(ADDRESS, LIMIT));
        assertEquals(Optional.empty(), s.lockedFor());
        assertTrue(s.failuresCounted());
    }

    @Test
    void failuresUpToTheLimit_lockOutUntilTheWindowEnds_thenReleased() {
        fail(1);
        clock.advance(Duration.ofMinutes(1));
        fail(LIMIT.maxFailures() - 1);
        assertEquals(Optional.of(Duration.ofMinutes(4)), await(limiter.lockedFor(ADDRESS, LIMIT)),
                "the window began with the first failure");
        clock.advance(Duration.ofMinutes(4).minusMillis(1));
        assertEquals(Optional.of(Duration.ofMillis(1)), await(limiter.lockedFor(ADDRESS, LIMIT)));
        clock.advance(Duration.ofMillis(1));
        assertEquals(Optional.empty(), await(limiter.lockedFor(ADDRESS, LIMIT)), "released when the window ends");
    }

    @Test
    void failureAfterTheWindow_startsANewCount() {
        fail(LIMIT.maxFailures());
        clock.advance(LIMIT.window());
        fail(1);
        assertEquals(Optional.empty(), await(limiter.lockedFor(ADDRESS, LIMIT)), "one failure in the new window");
    }

    @Test
    void reset_forgetsTheFailures() {
        fail(LIMIT.maxFailures() - 1);
        await(limiter.reset(ADDRESS));
        fail(LIMIT.maxFailures() - 1);
        assertEquals(Optional.empty(), await(limiter.lockedFor(ADDRESS, LIMIT)));
        assertFalse(await(limiter.standing("127.0.0.2", LIMIT)).failuresCounted());
    }

    @Test
    void addressLockedOut_otherAddressNot() {
        fail(LIMIT.maxFailures());
        assertTrue(await(limiter.lockedFor(ADDRESS, LIMIT)).isPresent());
        assertEquals(Optional.empty(), await(limiter.lockedFor("127.0.0.2", LIMIT)));
    }

    private void fail(final int times) {
        for (int i = 0; i < times; i++) {
            await(limiter.recordFailure(ADDRESS, LIMIT));
        }
    }
}
