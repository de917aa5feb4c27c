package org.cpnskeys.server.auth;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.AsyncMap;

/**
 * Slows brute force of the admin API's token down: counts failed attempts per key (a client address) in a fixed
 * window and locks the key out once the count reaches the limit, until the window ends. Kept in this process only
 * (Vert.x's local shared data, also when clustered): each server's admin API listens on its own loopback, and
 * nothing in the cluster, which authenticates no member, may decide a lockout. (Digest authentication has its
 * own, store-backed counts: {@link AttemptGate}.)
 */
public final class FailureLimiter {
    public static final String MAP_NAME = "cpns.auth.failures";
    private static final int MAX_RACE_RETRIES = 5;

    /** At most {@code maxFailures} failures per {@code window}. */
    public record Limit(int maxFailures, Duration window) {
        public Limit {
            if (maxFailures < 1 || window.isZero() || window.isNegative()) {
                throw new IllegalArgumentException("a failure limit needs a positive count and window");
            }
        }
    }

    private final Vertx vertx;
    private final Clock clock;
    private volatile Future<AsyncMap<String, String>> shared;

    public FailureLimiter(final Vertx vertx, final Clock clock) {
        this.vertx = vertx;
        this.clock = clock;
    }

    /**
     * What is recorded for a key: how long it stays locked out (empty if it is not), and whether any failure is
     * counted at all (when none is, a success has nothing to {@link #reset}: no write on the usual path).
     */
    public record Standing(Optional<Duration> lockedFor, boolean failuresCounted) {
    }

    /** How long {@code key} stays locked out, or empty if it is not. */
    public Future<Optional<Duration>> lockedFor(final String key, final Limit limit) {
        return standing(key, limit).map(Standing::lockedFor);
    }

    /** The lock-out and failure count of {@code key}, read once. */
    public Future<Standing> standing(final String key, final Limit limit) {
        return map().compose(m -> m.get(key)).map(v -> {
            if (v == null) {
                return NONE;
            }
            final long[] e = parse(v);
            final long left = e[1] - clock.millis();
            return new Standing(e[0] >= limit.maxFailures() && left > 0 ? Optional.of(Duration.ofMillis(left))
                    : Optional.empty(), true);
        });
    }

    private static final Standing NONE = new Standing(Optional.empty(), false);

    /** Counts one failure for {@code key}. */
    public Future<Void> recordFailure(final String key, final Limit limit) {
        return map().compose(m -> increment(m, key, limit, 0));
    }

    /** Forgets the failures of {@code key} (after a success). */
    public Future<Void> reset(final String key) {
        return map().compose(m -> m.remove(key)).mapEmpty();
    }

    private Future<Void> increment(final AsyncMap<String, String> m, final String key, final Limit limit, final int tries) {
        if (tries >= MAX_RACE_RETRIES) {
            return Future.succeededFuture();
        }
        final long now = clock.millis();
        return m.get(key).compose(old -> {
            if (old == null || parse(old)[1] <= now) {
                final long end = now + limit.window().toMillis();
                final String fresh = format(1, end);
                final Future<?> put = old == null ? m.putIfAbsent(key, fresh, limit.window().toMillis())
                        .map(prev -> prev == null)
                        : m.replaceIfPresent(key, old, fresh, limit.window().toMillis());
                return put.compose(ok -> Boolean.TRUE.equals(ok) ? Future.<Void>succeededFuture()
                        : increment(m, key, limit, tries + 1));
            }
            final long[] e = parse(old);
            return m.replaceIfPresent(key, old, format(e[0] + 1, e[1]), Math.max(1, e[1] - now))
                    .compose(ok -> ok ? Future.<Void>succeededFuture() : increment(m, key, limit, tries + 1));
        });
    }

    /** The local map, looked up once (again after a failed look-up). */
    private Future<AsyncMap<String, String>> map() {
        final Future<AsyncMap<String, String>> known = shared;
        if (known != null && known.succeeded()) {
            return known;
        }
        final Future<AsyncMap<String, String>> lookup = vertx.sharedData().getLocalAsyncMap(MAP_NAME);
        shared = lookup;
        return lookup;
    }

    private static String format(final long count, final long windowEnd) {
        return count + ":" + windowEnd;
    }

    private static long[] parse(final String v) {
        final int colon = v.indexOf(':');
        return new long[] {Long.parseLong(v.substring(0, colon)), Long.parseLong(v.substring(colon + 1))};
    }
}
