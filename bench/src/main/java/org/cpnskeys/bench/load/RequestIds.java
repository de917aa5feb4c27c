package org.cpnskeys.bench.load;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.cpnskeys.protocol.RequestId;

/** New request IDs for one load (each request a new assignment), and the wait for a load's last answers. */
final class RequestIds {
    private static final AtomicLong RUNS = new AtomicLong();
    private final String prefix;
    private final AtomicLong seq = new AtomicLong();

    private RequestIds(final String prefix) {
        this.prefix = prefix;
    }

    static RequestIds fresh() {
        return new RequestIds("b" + Long.toString(System.nanoTime(), 36) + RUNS.incrementAndGet() + "-");
    }

    RequestId next() {
        return RequestId.of(prefix + seq.incrementAndGet());
    }

    /** Polls (every 10 ms, at most {@code max}) until {@code outstanding} is zero; true if it got there. */
    static boolean await(final AtomicLong outstanding, final Duration max) throws InterruptedException {
        final long end = System.nanoTime() + max.toNanos();
        while (outstanding.get() > 0 && System.nanoTime() < end) {
            TimeUnit.MILLISECONDS.sleep(10);
        }
        return outstanding.get() <= 0;
    }
}
