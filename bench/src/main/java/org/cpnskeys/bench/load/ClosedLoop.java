package org.cpnskeys.bench.load;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.cpnskeys.protocol.RequestId;

/**
 * Closed loop: {@code inflight} slots each send a request, wait for its answer, and send the next. The system's
 * speed sets the rate, and a stall delays the next sends instead of showing in the latency: use it for
 * throughput, {@link OpenLoop} for latency.
 */
final class ClosedLoop implements Load {
    private final int inflight;
    private final LoadClock clock;

    ClosedLoop(final int inflight, final LoadClock clock) {
        if (inflight < 1) {
            throw new IllegalArgumentException("--inflight must be positive");
        }
        this.inflight = inflight;
        this.clock = clock;
    }

    @Override
    public String describe() {
        return "closed loop, " + inflight + " in flight";
    }

    @Override
    public Running start(final Requester requester, final Tally tally) {
        final Slots slots = new Slots(requester, tally, clock, RequestIds.fresh());
        for (int slot = 0; slot < inflight; slot++) {
            slots.next(slot);
        }
        return slots;
    }

    private static final class Slots implements Running {
        private final Requester requester;
        private final Tally tally;
        private final LoadClock clock;
        private final RequestIds ids;
        private final AtomicLong outstanding = new AtomicLong();
        private volatile boolean running = true;

        Slots(final Requester requester, final Tally tally, final LoadClock clock, final RequestIds ids) {
            this.requester = requester;
            this.tally = tally;
            this.clock = clock;
            this.ids = ids;
        }

        void next(final int slot) {
            if (!running) {
                return;
            }
            final RequestId id = ids.next();
            final long start = clock.nanoTime();
            outstanding.incrementAndGet();
            tally.sent(start, 0);
            requester.request(slot, id).whenComplete((status, e) -> {
                tally.answered(start, e == null ? status : -1, clock.nanoTime());
                outstanding.decrementAndGet();
                next(slot);
            });
        }

        @Override
        public void stop() {
            running = false;
        }

        @Override
        public boolean drain(final Duration max) throws InterruptedException {
            return RequestIds.await(outstanding, max);
        }
    }
}
