package org.cpnskeys.gateway.web;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Limits guessing of the admin secret: after {@link #FREE_FAILURES} failed logins from one address, that address
 * must wait before its next try, {@link #FIRST_LOCKOUT} doubling with each further failure up to {@link #MAX_LOCKOUT}; a success
 * clears its record. A global budget does the same for all addresses together (ten times the free failures), so
 * changing addresses does not help. Thread-safe.
 */
public final class LoginThrottle {
    public static final int FREE_FAILURES = 5;
    public static final Duration FIRST_LOCKOUT = Duration.ofSeconds(15);
    public static final Duration MAX_LOCKOUT = Duration.ofMinutes(5);
    private static final String ALL = "*";
    private static final int MAX_TRACKED = 10_000;

    private record Record(int failures, Instant lockedUntil) {
    }

    private final Clock clock;
    private final Map<String, Record> records = new HashMap<>();

    public LoginThrottle(final Clock clock) {
        this.clock = clock;
    }

    public LoginThrottle() {
        this(Clock.systemUTC());
    }

    /** How long {@code address} must still wait before trying again; empty when it may try now. */
    public synchronized Optional<Duration> waitFor(final String address) {
        final Instant now = clock.instant();
        final Instant until = later(lockedUntil(address), lockedUntil(ALL));
        return until.isAfter(now) ? Optional.of(Duration.between(now, until)) : Optional.empty();
    }

    public synchronized void failed(final String address) {
        if (records.size() > MAX_TRACKED) {
            records.clear();
        }
        bump(address, FREE_FAILURES);
        bump(ALL, FREE_FAILURES * 10);
    }

    public synchronized void succeeded(final String address) {
        records.remove(address);
    }

    private void bump(final String key, final int free) {
        final Record r = records.getOrDefault(key, new Record(0, Instant.EPOCH));
        final int failures = r.failures + 1;
        Instant until = r.lockedUntil;
        if (failures >= free) {
            final int doublings = Math.min(failures - free, 10);
            final Duration lock = FIRST_LOCKOUT.multipliedBy(1L << doublings);
            until = clock.instant().plus(lock.compareTo(MAX_LOCKOUT) > 0 ? MAX_LOCKOUT : lock);
        }
        records.put(key, new Record(failures, until));
    }

    private Instant lockedUntil(final String key) {
        final Record r = records.get(key);
        return r == null ? Instant.EPOCH : r.lockedUntil;
    }

    private static Instant later(final Instant a, final Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
