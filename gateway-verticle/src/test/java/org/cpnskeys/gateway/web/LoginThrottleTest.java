package org.cpnskeys.gateway.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class LoginThrottleTest {
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");
    private final LoginThrottle throttle = new LoginThrottle(new Clock() {
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
            return now;
        }
    });

    @Test
    void waitFor_fewerFailuresThanFree_mayTryAtOnce() {
        for (int i = 0; i < LoginThrottle.FREE_FAILURES - 1; i++) {
            throttle.failed("a");
        }
        assertEquals(Optional.empty(), throttle.waitFor("a"));
    }

    @Test
    void waitFor_freeFailuresUsed_locksThenDoublesUpToMax() {
        for (int i = 0; i < LoginThrottle.FREE_FAILURES; i++) {
            throttle.failed("a");
        }
        assertEquals(Optional.of(LoginThrottle.FIRST_LOCKOUT), throttle.waitFor("a"));
        assertEquals(Optional.empty(), throttle.waitFor("b"), "another address is not locked by a's failures");
        now = now.plus(LoginThrottle.FIRST_LOCKOUT);
        assertEquals(Optional.empty(), throttle.waitFor("a"));
        throttle.failed("a");
        assertEquals(Optional.of(LoginThrottle.FIRST_LOCKOUT.multipliedBy(2)), throttle.waitFor("a"));
        for (int i = 0; i < 20; i++) {
            throttle.failed("a");
        }
        assertEquals(Optional.of(LoginThrottle.MAX_LOCKOUT), throttle.waitFor("a"));
    }

    @Test
    void succeeded_afterFailures_clearsTheAddress() {
        for (int i = 0; i < LoginThrottle.FREE_FAILURES - 1; i++) {
            throttle.failed("a");
        }
        throttle.succeeded("a");
        throttle.failed("a");
        assertEquals(Optional.empty(), throttle.waitFor("a"));
    }

    @Test
    void failed_addressesOfOneIpv6Slash64_shareOneRecord() {
        for (int i = 1; i <= LoginThrottle.FREE_FAILURES; i++) {
            throttle.failed("2001:db8:0:1::" + Integer.toHexString(i));
        }
        assertTrue(throttle.waitFor("2001:db8:0:1::ffff").isPresent(), "walking through one /64 does not help");
        assertEquals(Optional.empty(), throttle.waitFor("2001:db8:0:2::1"), "another /64 is not locked");
        assertEquals(Optional.empty(), throttle.waitFor("192.0.2.1"), "an IPv4 address is not locked");
    }
}
