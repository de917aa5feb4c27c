package org.cpnskeys.server.auth;

import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.AsyncMap;

/**
 * Single use of each (nonce, nc) pair, in Vert.x shared async maps (local in one process, cluster-wide once Vert.x
 * runs clustered), without a timer per pair. The pairs are kept in one map per {@value #BUCKET_SECONDS}-second
 * span of nonce expiry ({@value #MAP_PREFIX}{@code <span>}): every use of one nonce lands in the same map whatever
 * the time of use or the server, so one atomic {@code putIfAbsent} decides. A span's map is cleared whole once all
 * its nonces have expired (plus {@value #GRACE_SECONDS} s for clocks that differ between servers): from then on
 * the nonce check itself refuses them as stale, and this guard refuses them too.
 */
public final class ReplayGuard {
    /** The shared maps holding the used (nonce, nc) pairs start with this, followed by the expiry span. */
    public static final String MAP_PREFIX = "cpns.digest.nc-used.";
    /** The width of one expiry span. */
    public static final long BUCKET_SECONDS = 60;
    /** How long after its last nonce expired a span is kept. */
    public static final long GRACE_SECONDS = 120;

    private final Vertx vertx;
    private final Clock clock;
    private final ConcurrentHashMap<Long, Future<AsyncMap<String, Boolean>>> maps = new ConcurrentHashMap<>();
    /** The spans this guard wrote to and has not cleared yet. */
    private final ConcurrentSkipListSet<Long> used = new ConcurrentSkipListSet<>();

    public ReplayGuard(final Vertx vertx) {
        this(vertx, Clock.systemUTC());
    }

    public ReplayGuard(final Vertx vertx, final Clock clock) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * True the first time the pair is seen, false on every later call (and for a nonce expired longer than
     * {@value #GRACE_SECONDS} s, whose record may already be gone).
     *
     * @param nonceExpiry when the nonce expires ({@link NonceService#expiry})
     */
    public Future<Boolean> firstUse(final String nonce, final String nc, final Instant nonceExpiry) {
        Objects.requireNonNull(nonce, "nonce");
        Objects.requireNonNull(nc, "nc");
        final long now = clock.instant().getEpochSecond();
        final long oldestKept = Math.floorDiv(now - GRACE_SECONDS, BUCKET_SECONDS);
        final long span = Math.floorDiv(nonceExpiry.getEpochSecond(), BUCKET_SECONDS);
        if (span < oldestKept) {
            return Future.succeededFuture(false);
        }
        used.add(span);
        clearBefore(oldestKept);
        return map(span).compose(m -> m.putIfAbsent(nonce + ":" + nc, Boolean.TRUE)).map(previous -> previous == null);
    }

    /** How many spans this guard holds (for tests). */
    int spans() {
        return used.size();
    }

    /** Clears, whole, the maps of the spans this guard used whose nonces have all expired. */
    private void clearBefore(final long oldestKept) {
        Long first;
        while (!used.isEmpty() && (first = used.first()) < oldestKept) {
            if (used.remove(first)) {
                final Future<AsyncMap<String, Boolean>> m = maps.remove(first);
                (m != null ? m : map(first)).compose(AsyncMap::clear);
                maps.remove(first);
            }
        }
    }

    private Future<AsyncMap<String, Boolean>> map(final long span) {
        return maps.compute(span, (k, existing) -> existing == null || existing.failed()
                ? vertx.sharedData().<String, Boolean>getAsyncMap(MAP_PREFIX + k) : existing);
    }
}
