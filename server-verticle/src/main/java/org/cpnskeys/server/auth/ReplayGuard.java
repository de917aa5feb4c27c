package org.cpnskeys.server.auth;

import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.core.shareddata.Shareable;

import org.eclipse.collections.impl.set.mutable.primitive.IntHashSet;

/**
 * Single use of each (nonce, nc) pair, without a timer per pair. The pairs are kept per {@value #BUCKET_SECONDS}-second
 * span of nonce expiry: every use of one nonce lands in the same span whatever the time of use, so one atomic
 * check-and-add decides. A span is dropped whole once all its nonces have expired (plus {@value #GRACE_SECONDS} s
 * for clocks that differ between servers): from then on the nonce check itself refuses them as stale, and this
 * guard refuses them too.
 *
 * <p>Where the pairs live depends on the Vert.x instance, and every guard of one Vert.x instance sees the same pairs:
 * <ul>
 * <li>clustered: Vert.x shared async maps, one per span ({@value #MAP_PREFIX}{@code <span>}, entries
 * {@code nonce:nc}), so every server of the cluster refuses a pair another one accepted;
 * <li>alone: in the process, per span and nonce, a primitive set of the used nc values (an {@code int} each, no
 * object per use). One entry object per use, as in a map, kept for minutes at thousands of uses a second, made
 * the young collections scan the old generation for references into new objects: 60-80 ms pauses every two
 * seconds in the benchmark.
 * </ul>
 */
public final class ReplayGuard {
    /** In a cluster, the shared maps holding the used (nonce, nc) pairs start with this, then the expiry span. */
    public static final String MAP_PREFIX = "cpns.digest.nc-used.";
    /** The width of one expiry span. */
    public static final long BUCKET_SECONDS = 60;
    /** How long after its last nonce expired a span is kept. */
    public static final long GRACE_SECONDS = 120;
    /** The local map of a Vert.x instance that is not clustered holding its {@link LocalSpans}. */
    private static final String LOCAL_MAP = "cpns.digest.nc-used";

    private final Vertx vertx;
    private final Clock clock;
    /** The pairs of a Vert.x instance that is not clustered; null when clustered. */
    private final LocalSpans local;
    private final ConcurrentHashMap<Long, Future<AsyncMap<String, Boolean>>> maps = new ConcurrentHashMap<>();
    /** Clustered: the spans this guard wrote to and has not cleared yet. */
    private final ConcurrentSkipListSet<Long> used = new ConcurrentSkipListSet<>();

    public ReplayGuard(final Vertx vertx) {
        this(vertx, Clock.systemUTC());
    }

    public ReplayGuard(final Vertx vertx, final Clock clock) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.local = vertx.isClustered() ? null
                : vertx.sharedData().<String, LocalSpans>getLocalMap(LOCAL_MAP).computeIfAbsent("spans", k -> new LocalSpans());
    }

    /**
     * True the first time the pair is seen, false on every later call (and for a nonce expired longer than
     * {@value #GRACE_SECONDS} s, whose record may already be gone).
     *
     * @param nc eight lower-case hex digits, as {@code DigestAuthorization} accepts them
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
        if (local != null) {
            return Future.succeededFuture(local.firstUse(span, oldestKept, nonce, Integer.parseUnsignedInt(nc, 16)));
        }
        used.add(span);
        clearBefore(oldestKept);
        return map(span).compose(m -> m.putIfAbsent(nonce + ":" + nc, Boolean.TRUE)).map(previous -> previous == null);
    }

    /** How many spans this guard holds (for tests). */
    int spans() {
        return local != null ? local.spans.size() : used.size();
    }

    /** How many used pairs are held for the span of this expiry (for tests). */
    Future<Integer> heldPairs(final Instant nonceExpiry) {
        final long span = Math.floorDiv(nonceExpiry.getEpochSecond(), BUCKET_SECONDS);
        if (local != null) {
            return Future.succeededFuture(local.pairs(span));
        }
        return vertx.sharedData().<String, Boolean>getAsyncMap(MAP_PREFIX + span).compose(AsyncMap::size);
    }

    /** Clustered: clears, whole, the maps of the spans this guard used whose nonces have all expired. */
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

    /** The used pairs of one Vert.x instance that is not clustered: span, then nonce, then the used nc values. */
    private static final class LocalSpans implements Shareable {
        private final ConcurrentSkipListMap<Long, ConcurrentHashMap<String, IntHashSet>> spans =
                new ConcurrentSkipListMap<>();
        /**
         * Spans below this were dropped and are never held again. Raised before a drop and checked under the nc
         * set's lock, so a use decided with an older clock reading cannot re-create a dropped span and accept a
         * pair a second time.
         */
        private final AtomicLong floor = new AtomicLong(Long.MIN_VALUE);

        boolean firstUse(final long span, final long oldestKept, final String nonce, final int nc) {
            if (floor.get() < oldestKept) {
                floor.accumulateAndGet(oldestKept, Math::max);
                spans.headMap(oldestKept).clear();
            }
            final IntHashSet ncs = spans.computeIfAbsent(span, k -> new ConcurrentHashMap<>())
                    .computeIfAbsent(nonce, k -> new IntHashSet());
            synchronized (ncs) {
                return span >= floor.get() && ncs.add(nc);
            }
        }

        int pairs(final long span) {
            final ConcurrentHashMap<String, IntHashSet> nonces = spans.get(span);
            if (nonces == null) {
                return 0;
            }
            int n = 0;
            for (final IntHashSet ncs : nonces.values()) {
                synchronized (ncs) {
                    n += ncs.size();
                }
            }
            return n;
        }
    }
}
