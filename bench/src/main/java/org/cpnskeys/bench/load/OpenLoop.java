package org.cpnskeys.bench.load;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongPredicate;

/**
 * Open loop: request i is due at t0 + i / rate, whatever the system does. The generator never waits for an
 * answer; each latency is taken from the request's intended (scheduled) send time, so a stall of the system,
 * or of the generator itself, shows in the latency of every request it delays (no coordinated omission). A
 * send is not made, and counts as an error, when {@code maxOutstanding} requests are already unanswered or
 * when it is already later than the timeout (its answer could not come in time). Requests are spread over
 * {@code slots} round robin (slot i mod slots: one simulated PNE each).
 */
final class OpenLoop implements Load {
    private final double ratePerSecond;
    private final int slots;
    private final int maxOutstanding;
    private final long timeoutNanos;
    private final LoadClock clock;

    OpenLoop(final double ratePerSecond, final int slots, final int maxOutstanding, final Duration timeout,
            final LoadClock clock) {
        if (!(ratePerSecond > 0) || slots < 1 || maxOutstanding < 1) {
            throw new IllegalArgumentException("--rate must be positive (and the PNEs and --max-outstanding too)");
        }
        this.ratePerSecond = ratePerSecond;
        this.slots = slots;
        this.maxOutstanding = maxOutstanding;
        this.timeoutNanos = timeout.toNanos();
        this.clock = clock;
    }

    double rate() {
        return ratePerSecond;
    }

    @Override
    public String describe() {
        return String.format(java.util.Locale.ROOT, "open loop at %.0f/s (at most %d unanswered)", ratePerSecond,
                maxOutstanding);
    }

    /** The intended send time of request {@code i} of a schedule that starts at {@code t0}. */
    long intended(final long t0, final long i) {
        return t0 + (long) (i * 1e9 / ratePerSecond);
    }

    /** A schedule not yet running: {@link Schedule#run} on the caller's thread (the tests' way in). */
    Schedule schedule(final Requester requester, final Tally tally) {
        return new Schedule(requester, tally);
    }

    @Override
    public Running start(final Requester requester, final Tally tally) {
        final Schedule s = schedule(requester, tally);
        final Thread t = new Thread(() -> {
            try {
                s.runUntilStopped();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "bench-open-loop");
        t.setDaemon(true);
        t.start();
        return s;
    }

    /** One run of the schedule; {@link #run} is the generator's loop (a test calls it with a fake clock). */
    final class Schedule implements Running {
        private final Requester requester;
        private final Tally tally;
        private final RequestIds ids = RequestIds.fresh();
        private final AtomicLong outstanding = new AtomicLong();
        private volatile long stopAt = Long.MAX_VALUE;

        Schedule(final Requester requester, final Tally tally) {
            this.requester = requester;
            this.tally = tally;
        }

        /** Sends on schedule until {@link #stop()}: every send intended before the stop is made. */
        void runUntilStopped() throws InterruptedException {
            run(intended -> intended >= stopAt);
        }

        /**
         * Sends on schedule until {@code stop} says so: asked once per send, with its intended time, when it is
         * due (so a generator that wakes late still makes every send intended before the stop).
         */
        void run(final LongPredicate stop) throws InterruptedException {
            final long t0 = clock.nanoTime();
            for (long i = 0;; i++) {
                final long intended = intended(t0, i);
                clock.parkUntil(intended);
                if (stop.test(intended)) {
                    return;
                }
                final long lag = clock.nanoTime() - intended;
                if (lag > timeoutNanos || outstanding.get() >= maxOutstanding) {
                    tally.missed(intended, lag);
                    continue;
                }
                outstanding.incrementAndGet();
                tally.sent(intended, lag);
                requester.request((int) (i % slots), ids.next()).whenComplete((status, e) -> {
                    tally.answered(intended, e == null ? status : -1, clock.nanoTime());
                    outstanding.decrementAndGet();
                });
            }
        }

        @Override
        public void stop() {
            stopAt = clock.nanoTime();
        }

        @Override
        public boolean drain(final Duration max) throws InterruptedException {
            return RequestIds.await(outstanding, max);
        }
    }
}
