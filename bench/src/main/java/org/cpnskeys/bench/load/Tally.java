package org.cpnskeys.bench.load;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.Recorder;

/**
 * Counts one window. A request belongs to the window when its intended send time lies in [from, to); its answer
 * is counted whenever it comes (also after the window, while the load drains), so a stall at the window's end
 * is not cut off. Latency is always taken from the intended send time (no coordinated omission).
 */
final class Tally {
    private final int expected;
    private final Recorder recorder = new Recorder(3);
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong missed = new AtomicLong();
    private final AtomicLong late = new AtomicLong();
    private final AtomicLong maxLag = new AtomicLong();
    private final Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
    private final long lateToleranceNanos;
    private volatile long from = Long.MAX_VALUE;
    private volatile long to = Long.MAX_VALUE;

    /** @param expected the status that counts as a success; @param lateToleranceNanos a send later than this is late */
    Tally(final int expected, final long lateToleranceNanos) {
        this.expected = expected;
        this.lateToleranceNanos = lateToleranceNanos;
    }

    /** Opens the measured window [from, to) in the clock's nanoseconds. */
    void open(final long fromNanos, final long toNanos) {
        this.to = toNanos;
        this.from = fromNanos;
    }

    boolean counts(final long intended) {
        return intended >= from && intended < to;
    }

    /** A send was made {@code lag} after its intended time. */
    void sent(final long intended, final long lag) {
        if (counts(intended)) {
            sent.incrementAndGet();
            lagged(lag);
        }
    }

    /** A send the schedule could not make (counted as an error). */
    void missed(final long intended, final long lag) {
        if (counts(intended)) {
            missed.incrementAndGet();
            errors.incrementAndGet();
            statuses.computeIfAbsent(-1, k -> new AtomicLong()).incrementAndGet();
            lagged(lag);
        }
    }

    private void lagged(final long lag) {
        if (lag > lateToleranceNanos) {
            late.incrementAndGet();
        }
        maxLag.accumulateAndGet(lag, Math::max);
    }

    /** The answer to a request intended at {@code intended}: its status (-1: none), at {@code now}. */
    void answered(final long intended, final int status, final long now) {
        if (!counts(intended)) {
            return;
        }
        statuses.computeIfAbsent(status, k -> new AtomicLong()).incrementAndGet();
        if (status == expected) {
            recorder.recordValue(Math.max(1, now - intended));
            ok.incrementAndGet();
        } else {
            errors.incrementAndGet();
        }
    }

    long errors() {
        return errors.get();
    }

    /** The window's figures; {@code cpu} as a fraction of all cores. */
    Run result(final double cpu) {
        final double seconds = Math.max((to - from) / 1e9, 1e-9);
        final Map<Integer, Long> byStatus = new TreeMap<>();
        statuses.forEach((k, v) -> byStatus.put(k, v.get()));
        return new Run((sent.get() + missed.get()) / seconds, ok.get() / seconds, recorder.getIntervalHistogram(),
                byStatus, errors.get(), missed.get(), late.get(), maxLag.get(), cpu, seconds);
    }
}
