package org.cpnskeys.bench.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Ceiling and system measured in alternating windows of one run (ceiling, system, ceiling, system, ...), on the
 * same warm JVM and brokers, so that both see the same noise. Each window starts its load afresh, lets it
 * settle unmeasured, measures, then stops sending and waits for the last answers (a request counts in the window
 * of its intended send time, its answer whenever it comes, up to the requester's timeout).
 */
final class Interleaved {
    /** One side: what it sends through, how, and which status counts as a success. */
    record Leg(String name, Requester requester, Load load, int expected) {
    }

    /** A ceiling window and the system window after it. */
    record Pair(Run ceiling, Run system) {
        double ratio() {
            return ceiling.perSecond() > 0 ? system.perSecond() / ceiling.perSecond() : 0;
        }
    }

    private final Duration window;
    private final Duration settle;
    private final Duration drain;
    private final long lateToleranceNanos;

    Interleaved(final Duration window, final Duration settle, final Duration drain, final Duration lateTolerance) {
        if (window.isZero() || window.isNegative()) {
            throw new IllegalArgumentException("--window must be positive");
        }
        this.window = window;
        this.settle = settle;
        this.drain = drain;
        this.lateToleranceNanos = lateTolerance.toNanos();
    }

    /** Warm-up: each leg runs unmeasured for its time (system first, then the ceiling). */
    void warm(final Leg system, final Duration systemTime, final Leg ceiling, final Duration ceilingTime)
            throws InterruptedException {
        once(system, systemTime, false);
        once(ceiling, ceilingTime, false);
    }

    /** {@code pairs} pairs of windows, ceiling first in each; prints each pair as it ends. */
    List<Pair> run(final Leg ceiling, final Leg system, final int pairs) throws InterruptedException {
        final List<Pair> out = new ArrayList<>();
        for (int i = 0; i < pairs; i++) {
            final Pair p = new Pair(once(ceiling, window, true), once(system, window, true));
            out.add(p);
            System.out.printf(java.util.Locale.ROOT,
                    "  window %d: ceiling %.0f pairs/s%s; system %.0f/s of %.0f/s offered, p99 %.2f ms, errors %d;"
                            + " ratio %.2f%n", i + 1, p.ceiling().perSecond(), p.ceiling().errors() == 0 ? ""
                            : " (" + p.ceiling().errors() + " echo requests unanswered or failed)", p.system().perSecond(),
                    p.system().offeredPerSecond(), p.system().ms(99), p.system().errors(), p.ratio());
        }
        return out;
    }

    /** One window of one leg: settle, measure {@code length}, stop, drain. Unmeasured when {@code measure} is false. */
    Run once(final Leg leg, final Duration length, final boolean measure) throws InterruptedException {
        final Tally tally = new Tally(leg.expected(), lateToleranceNanos);
        final Load.Running running = leg.load().start(leg.requester(), tally);
        long cpu = 0;
        try {
            TimeUnit.NANOSECONDS.sleep(measure ? settle.toNanos() : 0);
            final long from = System.nanoTime();
            tally.open(from, measure ? from + length.toNanos() : from);
            final long cpu0 = BenchCommand.cpuNanos();
            TimeUnit.NANOSECONDS.sleep(length.toNanos());
            cpu = BenchCommand.cpuNanos() - cpu0;
        } finally {
            running.stop();
        }
        if (!running.drain(drain)) {
            System.out.printf("  %s: requests still unanswered %s after the window%n", leg.name(), drain);
        }
        return tally.result(measure ? (double) cpu / length.toNanos() / Runtime.getRuntime().availableProcessors() : 0);
    }
}
