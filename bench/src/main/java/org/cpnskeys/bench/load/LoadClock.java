package org.cpnskeys.bench.load;

import java.util.concurrent.locks.LockSupport;

/** The generator's time: {@link System#nanoTime()} in a run, a fake in the schedule's tests. */
interface LoadClock {
    long nanoTime();

    /** Returns at or after {@code deadline} (at once when it has passed). */
    void parkUntil(long deadline) throws InterruptedException;

    LoadClock SYSTEM = new LoadClock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void parkUntil(final long deadline) throws InterruptedException {
            for (long left = deadline - System.nanoTime(); left > 0; left = deadline - System.nanoTime()) {
                LockSupport.parkNanos(left);
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
        }
    };
}
