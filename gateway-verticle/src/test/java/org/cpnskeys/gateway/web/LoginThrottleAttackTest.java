package org.cpnskeys.gateway.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attack (issue [H] 4f): a stranger who can reach the approval page types wrong admin secrets from their own
 * address, patiently, waiting out every lockout, to lock the page's owner out. The throttle must slow the stranger
 * and leave the owner, at another address, free to log in. The clock is the test's: no waiting.
 */
@Timeout(10)
class LoginThrottleAttackTest {
    private static final String STRANGER = "203.0.113.7";
    private static final String OWNER = "192.168.1.20";

    private Instant now = Instant.parse("2026-01-01T00:00:00Z");
    private final LoginThrottle throttle = new LoginThrottle(new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(final ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    });

    @Test
    void strangersFailuresFromOneAddress_neverLockTheOwnerOutFromAnother() {
        for (int i = 0; i < 200; i++) {
            // the stranger waits out each lockout of their own address, then fails again
            throttle.waitFor(STRANGER).ifPresent(wait -> now = now.plus(wait));
            throttle.failed(STRANGER);
            assertEquals(Optional.empty(), throttle.waitFor(OWNER), "the owner was locked out after the stranger's "
                    + (i + 1) + " failures");
        }
        assertTrue(throttle.waitFor(STRANGER).isPresent(), "the stranger is still slowed down");
        assertEquals(Optional.of(LoginThrottle.MAX_LOCKOUT), throttle.waitFor(STRANGER));
        throttle.succeeded(OWNER);
        assertTrue(throttle.waitFor(STRANGER).isPresent(), "the owner's success does not free the stranger");
        assertTrue(Duration.ZERO.compareTo(throttle.waitFor(STRANGER).get()) < 0);
    }
}
