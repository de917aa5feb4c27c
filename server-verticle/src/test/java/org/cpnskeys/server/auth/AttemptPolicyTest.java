package org.cpnskeys.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.cpnskeys.server.store.FailureCount;
import org.cpnskeys.server.store.FailureStanding;

@Timeout(10)
class AttemptPolicyTest {
    private static final Instant NOW = Instant.parse("2030-01-01T00:10:00Z");
    private static final Instant WINDOW_END = Instant.parse("2030-01-01T00:20:00Z");
    private static final AttemptPolicy POLICY = AttemptPolicy.DEFAULT;

    private static FailureCount count(final int failures, final Instant last) {
        return new FailureCount(failures, WINDOW_END, last);
    }

    /**
     * Verifies that an attempt with no failure recorded is admitted under the strictest limits at any time: what
     * lets the store admit it without asking (AttemptGate's admission says it admits without failures).
     */
    @Test
    void refusal_nothingRecorded_admittedUnderStrictestLimitsAtAnyTime() {
        final AttemptPolicy strictest = new AttemptPolicy(1, 1, 1, Duration.ofDays(365), Duration.ofMinutes(15),
                Duration.ofDays(1));
        for (final Instant at : new Instant[] {Instant.EPOCH, NOW, WINDOW_END, Instant.parse("9999-01-01T00:00:00Z")}) {
            assertEquals(Optional.empty(), strictest.refusal(FailureStanding.NONE, at), at.toString());
            assertEquals(Optional.empty(), POLICY.refusal(FailureStanding.NONE, at), at.toString());
        }
    }

    /** Verifies that a pair at its limit waits for its window's end, and one below it is judged. */
    @Test
    void refusal_pairAtLimit_untilWindowEnd() {
        assertEquals(Optional.of(Duration.ofMinutes(10)), POLICY.refusal(new FailureStanding(count(5, NOW),
                FailureCount.NONE, FailureCount.NONE), NOW));
        assertEquals(Optional.empty(), POLICY.refusal(new FailureStanding(count(4, NOW), FailureCount.NONE,
                FailureCount.NONE), NOW));
        assertEquals(Optional.empty(), POLICY.refusal(new FailureStanding(count(5, NOW), FailureCount.NONE,
                FailureCount.NONE), WINDOW_END), "the window ended");
    }

    /** Verifies that a gateway at its limit (any users) waits for its window's end. */
    @Test
    void refusal_gatewayAtLimit_untilWindowEnd() {
        assertEquals(Optional.of(Duration.ofMinutes(10)), POLICY.refusal(new FailureStanding(FailureCount.NONE,
                FailureCount.NONE, count(50, NOW)), NOW));
    }

    /**
     * Verifies the user's delays: from the threshold on, a gateway that failed for the user waits 1 s after the
     * user's latest failure, doubled per failure beyond it, at most 15 minutes; a gateway without failures does not.
     */
    @Test
    void refusal_userPastThreshold_growingDelaysOnlyForFailingGateways() {
        final Instant last = NOW.minusMillis(200);
        assertEquals(Optional.empty(), POLICY.refusal(new FailureStanding(count(1, last), count(9, last),
                FailureCount.NONE), NOW));
        assertEquals(Optional.of(Duration.ofMillis(800)), POLICY.refusal(new FailureStanding(count(1, last),
                count(10, last), FailureCount.NONE), NOW));
        assertEquals(Optional.of(Duration.ofMillis(1800)), POLICY.refusal(new FailureStanding(count(1, last),
                count(11, last), FailureCount.NONE), NOW));
        assertEquals(Optional.of(Duration.ofMillis(3800)), POLICY.refusal(new FailureStanding(count(1, last),
                count(12, last), FailureCount.NONE), NOW));
        assertEquals(Optional.of(Duration.ofMinutes(15).minusMillis(200)), POLICY.refusal(new FailureStanding(
                count(1, last), count(60, last), FailureCount.NONE), NOW));
        assertEquals(Optional.empty(), POLICY.refusal(new FailureStanding(FailureCount.NONE, count(60, last),
                FailureCount.NONE), NOW), "the owner's gateway, without failures, does not wait");
        assertEquals(Optional.empty(), POLICY.refusal(new FailureStanding(count(1, last), count(10, last),
                FailureCount.NONE), last.plusSeconds(1)), "the delay has passed");
    }
}
