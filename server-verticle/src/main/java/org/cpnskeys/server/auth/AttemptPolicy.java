package org.cpnskeys.server.auth;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

import org.cpnskeys.server.store.FailureStanding;

/**
 * When recorded authentication failures stop an attempt ([H] 4b). Failures are counted per user through one
 * gateway (the pair), per user through all gateways, and per gateway for all users, each in a window that begins
 * with its first failure:
 * <ul>
 * <li>a pair with {@code pairLimit} failures is locked out until its window ends: a gateway that guesses wrong
 * locks only itself out of that user, never the owner's own gateway;
 * <li>a gateway with {@code gatewayLimit} failures (any users) is locked out until its window ends;
 * <li>a user with {@code userThreshold} or more failures through all gateways is not locked out; instead every
 * gateway that failed for that user waits, after the user's latest failure, {@code firstDelay} doubled for each
 * failure beyond the threshold (at most {@code maxDelay}) before its next attempt is judged. A gateway without
 * failures for the user, as the owner's usually is, does not wait.
 * </ul>
 */
public record AttemptPolicy(int pairLimit, int gatewayLimit, int userThreshold, Duration window, Duration firstDelay,
        Duration maxDelay) {
    /** 5 per pair, 50 per gateway, delays from 10 per user (1 s doubling to 15 min), 15-minute windows. */
    public static final AttemptPolicy DEFAULT = new AttemptPolicy(5, 50, 10, Duration.ofMinutes(15),
            Duration.ofSeconds(1), Duration.ofMinutes(15));

    public AttemptPolicy {
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(firstDelay, "firstDelay");
        Objects.requireNonNull(maxDelay, "maxDelay");
        if (pairLimit < 1 || gatewayLimit < 1 || userThreshold < 1 || window.isNegative() || window.isZero()
                || firstDelay.isNegative() || firstDelay.isZero() || maxDelay.compareTo(firstDelay) < 0) {
            throw new IllegalArgumentException("an attempt policy needs positive limits, window and delays");
        }
    }

    /** How long an attempt with this standing must wait at {@code now}; empty when it may be judged. */
    public Optional<Duration> refusal(final FailureStanding s, final Instant now) {
        Instant until = now;
        if (s.pair().at(now) >= pairLimit) {
            until = latest(until, s.pair().windowEnd());
        }
        if (s.gateway().at(now) >= gatewayLimit) {
            until = latest(until, s.gateway().windowEnd());
        }
        final int beyond = s.user().at(now) - userThreshold;
        if (beyond >= 0 && s.pair().at(now) > 0) {
            until = latest(until, s.user().lastFailure().plus(delay(beyond)));
        }
        return until.isAfter(now) ? Optional.of(Duration.between(now, until)) : Optional.empty();
    }

    /** The wait after the user's latest failure once {@code beyond} failures passed the threshold. */
    Duration delay(final int beyond) {
        final Duration d = firstDelay.multipliedBy(1L << Math.min(beyond, 30));
        return d.compareTo(maxDelay) > 0 ? maxDelay : d;
    }

    private static Instant latest(final Instant a, final Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
