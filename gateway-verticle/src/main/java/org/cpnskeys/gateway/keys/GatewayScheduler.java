package org.cpnskeys.gateway.keys;

import java.time.Duration;
import java.time.Instant;

/**
 * Time and thread for one {@link GatewayKeyService}: the wall clock (approval deadlines), a monotonic clock (how long
 * a request waited), one-shot timers, and a way back onto the service's own thread (an event loop in the gateway; the
 * test's thread in unit tests, where a fake moves time by hand). Everything the service does runs on that thread.
 */
public interface GatewayScheduler {
    /** The wall-clock time. */
    Instant now();

    /** A monotonic time in nanoseconds (only differences mean anything). */
    long nanoTime();

    /** Runs {@code task} on the service's thread once {@code delay} has passed; returns an id for {@link #cancel}. */
    long schedule(Duration delay, Runnable task);

    /** Cancels a timer that has not fired (nothing when it has). */
    void cancel(long timer);

    /** Runs {@code task} on the service's thread: at once when called on it, soon otherwise. */
    void execute(Runnable task);
}
