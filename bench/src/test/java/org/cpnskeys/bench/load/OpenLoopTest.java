package org.cpnskeys.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;

import org.cpnskeys.protocol.RequestId;
import org.junit.jupiter.api.Test;

/** The open loop's schedule, on a fake clock: when it sends, and from when it counts each latency. */
class OpenLoopTest {
    private static final long MS = 1_000_000L;
    private static final long T0 = 1_000 * MS;

    /** Time moves only when the generator parks or a fake system says so. */
    static final class FakeClock implements LoadClock {
        long now = T0;

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public void parkUntil(final long deadline) {
            now = Math.max(now, deadline);
        }
    }

    /** A fake system: records each send's time and slot, answers as {@code answer} says (null: not yet). */
    static final class FakeSystem implements Requester {
        final FakeClock clock;
        final List<Long> sendTimes = new ArrayList<>();
        final List<Integer> slots = new ArrayList<>();
        final List<RequestId> ids = new ArrayList<>();
        final List<CompletableFuture<Integer>> answers = new ArrayList<>();
        final IntFunction<CompletableFuture<Integer>> answer;

        FakeSystem(final FakeClock clock, final IntFunction<CompletableFuture<Integer>> answer) {
            this.clock = clock;
            this.answer = answer;
        }

        @Override
        public CompletableFuture<Integer> request(final int slot, final RequestId id) {
            sendTimes.add(clock.now);
            slots.add(slot);
            ids.add(id);
            final CompletableFuture<Integer> f = answer.apply(sendTimes.size() - 1);
            answers.add(f);
            return f;
        }
    }

    private final FakeClock clock = new FakeClock();

    private static Tally tally() {
        final Tally t = new Tally(200, 10 * MS);
        t.open(0, Long.MAX_VALUE / 2);
        return t;
    }

    private OpenLoop loop(final double rate, final int maxOutstanding) {
        return new OpenLoop(rate, 4, maxOutstanding, Duration.ofSeconds(10), clock);
    }

    @Test
    void nSends_goOutAtTheIntendedTimes_withoutWaitingForAnyAnswer() throws InterruptedException {
        final FakeSystem system = new FakeSystem(clock, i -> new CompletableFuture<>());
        final Tally tally = tally();
        loop(100, 1000).schedule(system, tally).run(intended -> system.sendTimes.size() == 10);

        assertEquals(10, system.sendTimes.size());
        for (int i = 0; i < 10; i++) {
            assertEquals(T0 + i * 10 * MS, system.sendTimes.get(i), "send " + i);
            assertEquals(i % 4, system.slots.get(i), "slots round robin");
        }
        assertEquals(10, system.ids.stream().distinct().count(), "each request a new request ID");
        assertTrue(system.answers.stream().noneMatch(CompletableFuture::isDone), "nothing was answered");
        final Run r = tally.result(0);
        assertEquals(0, r.lateSends());
        assertEquals(0, r.errors());
    }

    @Test
    void whenTheSystemStalls_eachLatencyCountsFromItsIntendedSendTime() throws InterruptedException {
        final FakeSystem system = new FakeSystem(clock, i -> new CompletableFuture<>());
        final Tally tally = tally();
        loop(100, 1000).schedule(system, tally).run(intended -> system.sendTimes.size() == 10);
        // the system answers nothing for a second, then everything at once
        clock.now = T0 + 1000 * MS;
        system.answers.forEach(f -> f.complete(200));

        final Run r = tally.result(0);
        assertEquals(10, r.latency().getTotalCount());
        // request i was due at i * 10 ms: its latency is 1000 - 10 i ms, not the time since it happened to go out
        assertEquals(1000.0, r.latency().getMaxValue() / 1e6, 1.0);
        assertEquals(910.0, r.latency().getMinValue() / 1e6, 1.0);
        assertEquals(955.0, r.latency().getMean() / 1e6, 1.0);
    }

    @Test
    void aGeneratorThatFallsBehind_catchesUpAtOnce_countsLateSendsAndLatencyFromTheSchedule()
            throws InterruptedException {
        final FakeSystem system = new FakeSystem(clock, i -> {
            if (i == 2) {
                clock.now += 50 * MS; // the generator's thread is held up 50 ms in this send (a GC pause, say)
            }
            return CompletableFuture.completedFuture(200);
        });
        final Tally tally = tally();
        loop(100, 1000).schedule(system, tally).run(intended -> system.sendTimes.size() == 8);

        // due at 30, 40, 50, 60 ms, sent together at 70 ms; then on time again
        assertEquals(List.of(0L, 10L, 20L, 70L, 70L, 70L, 70L, 70L),
                system.sendTimes.stream().map(t -> (t - T0) / MS).toList());
        final Run r = tally.result(0);
        assertEquals(3, r.lateSends(), "40, 30 and 20 ms late; 10 ms is within the tolerance");
        assertEquals(40 * MS, r.maxLagNanos());
        assertEquals(0, r.errors());
        // answered at once when sent, each counts from its intended time: the stall shows in four more requests
        assertEquals(50.0, r.latency().getMaxValue() / 1e6, 0.1);
        assertEquals(5, r.latency().getCountBetweenValues(10 * MS, 51 * MS));
    }

    @Test
    void aGeneratorThatWakesAfterTheStop_stillMakesEverySendIntendedBeforeIt() throws InterruptedException {
        final long t0 = clock.now;
        final OpenLoop.Schedule[] s = new OpenLoop.Schedule[1];
        final FakeSystem system = new FakeSystem(clock, i -> {
            if (i == 3) {
                clock.now = t0 + 45 * MS;
                s[0].stop(); // the window ends at 45 ms while this send holds the generator up to 60 ms
                clock.now = t0 + 60 * MS;
            }
            return CompletableFuture.completedFuture(200);
        });
        s[0] = loop(100, 1000).schedule(system, tally());
        s[0].runUntilStopped();
        assertEquals(List.of(0L, 10L, 20L, 30L, 60L), system.sendTimes.stream().map(t -> (t - t0) / MS).toList(),
                "the send due at 40 ms is made (late), the one due at 50 ms is not");
    }

    @Test
    void aSendDueWhileTooManyAreUnanswered_isNotMade_andCountsAsAnError() throws InterruptedException {
        final FakeSystem system = new FakeSystem(clock, i -> new CompletableFuture<>());
        final Tally tally = tally();
        final int[] due = new int[1];
        loop(100, 3).schedule(system, tally).run(intended -> due[0]++ == 5);

        assertEquals(3, system.sendTimes.size());
        final Run r = tally.result(0);
        assertEquals(2, r.missed());
        assertEquals(2, r.errors());
        assertEquals(java.util.Map.of(-1, 2L), r.statuses());
    }

    @Test
    void aSendLaterThanTheTimeout_isNotMade() throws InterruptedException {
        final FakeSystem system = new FakeSystem(clock, i -> {
            if (i == 0) {
                clock.now += 20_000 * MS; // held up twice the timeout
            }
            return CompletableFuture.completedFuture(200);
        });
        final Tally tally = tally();
        final int[] due = new int[1];
        new OpenLoop(1, 1, 1000, Duration.ofSeconds(10), clock).schedule(system, tally).run(intended -> due[0]++ == 3);

        // due at 0, 1 and 2 s: the first sent; at 20 s the second and third are 19 and 18 s late
        assertEquals(1, system.sendTimes.size());
        assertEquals(2, tally.result(0).missed());
    }
}
