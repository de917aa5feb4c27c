package org.cpnskeys.gateway.web;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * Limits guessing of the admin secret, per address: after {@link #FREE_FAILURES} failed logins from one address,
 * that address must wait before its next try, {@link #FIRST_LOCKOUT} doubling with each further failure up to
 * {@link #MAX_LOCKOUT}; a success clears its record. An IPv6 address counts by its /64 prefix (what one host or
 * home network is usually given), so walking through one's own /64 does not help.
 *
 * <p>There is deliberately no budget shared by all addresses: a stranger's failures would then lock the owner out
 * of their own gateway from another address (issue [H] 4f). What makes guessing hopeless is the secret itself
 * ({@link AdminSecret}: 128 random bits or more), not the throttle; the throttle keeps one address from hammering
 * the page. Thread-safe.
 */
public final class LoginThrottle {
    public static final int FREE_FAILURES = 5;
    public static final Duration FIRST_LOCKOUT = Duration.ofSeconds(15);
    public static final Duration MAX_LOCKOUT = Duration.ofMinutes(5);
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
        final Record r = records.get(key(address));
        final Instant until = r == null ? Instant.EPOCH : r.lockedUntil;
        return until.isAfter(now) ? Optional.of(Duration.between(now, until)) : Optional.empty();
    }

    public synchronized void failed(final String address) {
        if (records.size() > MAX_TRACKED) {
            // forget addresses whose lock is over, then (a flood of addresses) everything
            final Instant now = clock.instant();
            records.values().removeIf(r -> !r.lockedUntil.isAfter(now));
            if (records.size() > MAX_TRACKED) {
                records.clear();
            }
        }
        final String key = key(address);
        final Record r = records.getOrDefault(key, new Record(0, Instant.EPOCH));
        final int failures = r.failures + 1;
        Instant until = r.lockedUntil;
        if (failures >= FREE_FAILURES) {
            final int doublings = Math.min(failures - FREE_FAILURES, 10);
            final Duration lock = FIRST_LOCKOUT.multipliedBy(1L << doublings);
            until = clock.instant().plus(lock.compareTo(MAX_LOCKOUT) > 0 ? MAX_LOCKOUT : lock);
        }
        records.put(key, new Record(failures, until));
    }

    public synchronized void succeeded(final String address) {
        records.remove(key(address));
    }

    /** What failures are counted under: the address itself, or an IPv6 address's /64 prefix. */
    static String key(final String address) {
        if (address == null || address.indexOf(':') < 0) {
            return String.valueOf(address);
        }
        try {
            // a literal with ':' is parsed, never looked up in DNS
            final byte[] bytes = InetAddress.getByName(address).getAddress();
            return bytes.length == 16 ? "v6/" + HexFormat.of().formatHex(Arrays.copyOf(bytes, 8)) : address;
        } catch (UnknownHostException e) {
            return address;
        }
    }
}
