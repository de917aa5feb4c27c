package org.cpnskeys.gateway.keys;

import java.time.Duration;
import java.time.Instant;
import java.util.PriorityQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Time the test moves by hand: {@link #advance} fires the timers that come due, in order. The service's thread is
 * the test's thread: a task handed in from another thread (a journal sync, say) waits until {@link #runHandedIn}.
 */
final class FakeScheduler implements GatewayScheduler {
    private record Timer(long id, long dueNanos, Runnable task) {
    }

    private final Thread owner = Thread.currentThread();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>((a, b) -> a.dueNanos != b.dueNanos
            ? Long.compare(a.dueNanos, b.dueNanos) : Long.compare(a.id, b.id));
    private final BlockingQueue<Runnable> handedIn = new LinkedBlockingQueue<>();
    private Instant wallStart = Instant.parse("2026-01-01T00:00:00Z");
    private long nanos = 1_000_000_000L;
    private long nextId;

    @Override
    public Instant now() {
        return wallStart.plusNanos(nanos);
    }

    @Override
    public long nanoTime() {
        return nanos;
    }

    @Override
    public long schedule(final Duration delay, final Runnable task) {
        final long id = ++nextId;
        timers.add(new Timer(id, nanos + delay.toNanos(), task));
        return id;
    }

    @Override
    public void cancel(final long timer) {
        timers.removeIf(t -> t.id == timer);
    }

    @Override
    public void execute(final Runnable task) {
        if (Thread.currentThread() == owner) {
            task.run();
        } else {
            handedIn.add(task);
        }
    }

    /** Moves time on by {@code d}, firing every timer due by then. */
    void advance(final Duration d) {
        final long end = nanos + d.toNanos();
        Timer next;
        while ((next = timers.peek()) != null && next.dueNanos <= end) {
            timers.poll();
            nanos = next.dueNanos;
            next.task.run();
        }
        nanos = end;
    }

    /** How many timers wait. */
    int pendingTimers() {
        return timers.size();
    }

    /** Runs the next task another thread handed in, waiting at most 10 s for it. */
    void runHandedIn() throws InterruptedException {
        final Runnable task = handedIn.poll(10, TimeUnit.SECONDS);
        if (task == null) {
            throw new AssertionError("nothing was handed to the service's thread within 10 s");
        }
        task.run();
    }
}
