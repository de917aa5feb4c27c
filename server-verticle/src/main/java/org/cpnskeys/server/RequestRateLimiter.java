package org.cpnskeys.server;

import java.time.Clock;
import java.util.Optional;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.AsyncMap;

/**
 * Limits the Key Requests one PN GW may send per second to one server, counted in a fixed one-second window in
 * this process's shared data (never the cluster's: a request costs no cluster-wide call, and nothing a cluster
 * stranger can reset). Servers sharing a cloud broker's subscription each count their own share, so a gateway may
 * send up to the limit times the number of servers in all. Off ({@link #UNLIMITED}) by default: one gateway
 * legitimately carries thousands of requests per second (see {@code cpns bench}).
 */
public final class RequestRateLimiter {
    public static final String MAP_NAME = "cpns.rate.gateway";
    /** No limit. */
    public static final int UNLIMITED = 0;
    /** Concurrent updates of one window that lose the race this often give up and refuse (fail closed). */
    private static final int MAX_RACE_RETRIES = 8;

    private final Vertx vertx;
    private final Clock clock;
    private final int perSecond;

    /** At most {@code perSecond} requests per gateway and second; {@link #UNLIMITED} (0) for none. */
    public RequestRateLimiter(final Vertx vertx, final Clock clock, final int perSecond) {
        if (perSecond < 0) {
            throw new IllegalArgumentException("a request rate limit must be 0 (off) or positive");
        }
        this.vertx = vertx;
        this.clock = clock;
        this.perSecond = perSecond;
    }

    /** The limit per gateway and second, 0 if off. */
    public int perSecond() {
        return perSecond;
    }

    /**
     * Counts one request of {@code gateway}: empty if it is within the limit, else how many seconds to wait before
     * the next window.
     */
    public Future<Optional<Integer>> acquire(final String gateway) {
        if (perSecond == UNLIMITED) {
            return Future.succeededFuture(Optional.empty());
        }
        final long now = clock.millis();
        final String key = gateway + "@" + now / 1000;
        return vertx.sharedData().<String, Long>getLocalAsyncMap(MAP_NAME).compose(m -> increment(m, key, 0))
                .map(count -> count <= perSecond ? Optional.<Integer>empty() : Optional.of(1));
    }

    private Future<Long> increment(final AsyncMap<String, Long> m, final String key, final int tries) {
        if (tries >= MAX_RACE_RETRIES) {
            return Future.succeededFuture(Long.MAX_VALUE);
        }
        return m.get(key).compose(old -> {
            if (old == null) {
                return m.putIfAbsent(key, 1L, 2000).compose(prev -> prev == null ? Future.succeededFuture(1L)
                        : increment(m, key, tries + 1));
            }
            if (old > perSecond) {
                return Future.succeededFuture(old); // over already: no need to count further
            }
            return m.replaceIfPresent(key, old, old + 1, 2000).compose(ok -> ok ? Future.succeededFuture(old + 1)
                    : increment(m, key, tries + 1));
        });
    }
}
