package org.cpnskeys.protocol.io;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit on one dedicated thread: callers queue entries (never blocking), the thread takes whatever
 * accumulated (up to {@code maxBatch}, in queue order) and hands it to the owner's {@link BatchAction} at once,
 * which makes it durable (one transaction commit, one write and fsync), so one commit serves many callers.
 * Only once the action returned does an entry's future complete, on the context it was submitted from (or on
 * the writer thread when there was none); if the action throws, every future of that batch fails with what it
 * threw. Entries are given to the action in the order they were queued, and batches run one after the other.
 *
 * <p>{@link #close} queues a stop marker after everything queued before it: those entries still run, then the
 * owner's {@code onStop} (closing its file or connection) runs on the writer thread, then the thread ends.
 * Entries submitted after {@code close} fail at once. Used by the SQLite EUKey store, the gateway's journal of
 * approved requests and the server's audit log; the action is the only place that touches the owner's file or
 * connection, so it needs no lock of its own.
 *
 * @param <E> what one caller queues (an operation, a line)
 */
public final class GroupCommitWriter<E> {
    private static final Logger LOG = LoggerFactory.getLogger(GroupCommitWriter.class);

    /** Makes one batch durable, on the writer thread. Throwing fails every future of the batch. */
    @FunctionalInterface
    public interface BatchAction<E> {
        void commit(List<E> batch) throws Exception;
    }

    /** One queued entry; {@code entry == null} marks the stop request of {@link #close}. */
    private record Queued<E>(E entry, Promise<Void> promise, Context context) {
    }

    private final String name;
    private final int maxBatch;
    private final BatchAction<E> action;
    private final Runnable onStop;
    private final String closedMessage;
    private final BlockingQueue<Queued<E>> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private final Object lock = new Object();
    private Queued<E> stop;

    private GroupCommitWriter(final String name, final int maxBatch, final BatchAction<E> action,
            final Runnable onStop, final String closedMessage) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1, not " + maxBatch);
        }
        this.name = name;
        this.maxBatch = maxBatch;
        this.action = action;
        this.onStop = onStop;
        this.closedMessage = closedMessage;
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
    }

    /**
     * Starts a writer thread named {@code name} that hands at most {@code maxBatch} entries at a time to
     * {@code action}; {@code onStop} runs on it after the last batch; {@code closedMessage} is the message of the
     * failure an entry submitted after {@link #close} gets.
     */
    public static <E> GroupCommitWriter<E> start(final String name, final int maxBatch, final BatchAction<E> action,
            final Runnable onStop, final String closedMessage) {
        final GroupCommitWriter<E> writer = new GroupCommitWriter<>(name, maxBatch, action, onStop, closedMessage);
        writer.thread.start();
        return writer;
    }

    /** Queues {@code entry}; the future completes on the caller's context once its batch is durable. */
    public Future<Void> submit(final E entry) {
        return submit(entry, Vertx.currentContext());
    }

    /** Queues {@code entry}; the future completes on {@code context} (null: the writer thread) once its batch is durable. */
    public Future<Void> submit(final E entry, final Context context) {
        final Queued<E> queued = new Queued<>(entry, Promise.promise(), context);
        synchronized (lock) {
            if (stop != null) {
                return Future.failedFuture(new IllegalStateException(closedMessage));
            }
            queue.add(queued);
        }
        return queued.promise().future();
    }

    /** Queues {@code entry} without waiting for it (nobody learns whether it became durable); dropped after close. */
    public void enqueue(final E entry) {
        synchronized (lock) {
            if (stop == null) {
                queue.add(new Queued<>(entry, null, null));
            }
        }
    }

    /**
     * Stops the writer after the entries queued before; the future completes on {@code context} (null: the
     * writer thread) once {@code onStop} ran. Calling it again returns the same future.
     */
    public Future<Void> close(final Context context) {
        synchronized (lock) {
            if (stop == null) {
                stop = new Queued<>(null, Promise.promise(), context);
                queue.add(stop);
            }
            return stop.promise().future();
        }
    }

    /** {@link #close(Context)}, then waits up to {@code max} for the writer thread to end. Blocking. */
    public void closeAndWait(final Duration max) {
        close(null);
        try {
            thread.join(max.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        final List<Queued<E>> batch = new ArrayList<>(Math.min(maxBatch, 1024));
        final List<E> entries = new ArrayList<>(Math.min(maxBatch, 1024));
        while (true) {
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                continue; // nobody interrupts this thread; it ends only at the stop marker
            }
            queue.drainTo(batch, maxBatch - 1);
            final int last = batch.size() - 1;
            // close() queues the marker last and nothing is queued after it; it may ride at the end of a batch
            final Queued<E> stopMarker = batch.get(last).entry() == null ? batch.remove(last) : null;
            if (!batch.isEmpty()) {
                batch.forEach(q -> entries.add(q.entry()));
                runBatch(batch, entries);
            }
            batch.clear();
            entries.clear();
            if (stopMarker != null) {
                stopWriter(stopMarker);
                return;
            }
        }
    }

    private void runBatch(final List<Queued<E>> batch, final List<E> entries) {
        Throwable failure = null;
        try {
            action.commit(entries);
        } catch (Exception e) {
            failure = e;
        }
        for (final Queued<E> q : batch) {
            if (q.promise() != null) {
                deliver(q, failure);
            }
        }
    }

    private void stopWriter(final Queued<E> stopMarker) {
        Throwable failure = null;
        try {
            onStop.run();
        } catch (RuntimeException e) {
            LOG.warn("{}: stopping failed: {}", name, e.toString());
            failure = e;
        }
        deliver(stopMarker, failure);
    }

    private static void deliver(final Queued<?> q, final Throwable failure) {
        final Runnable done = failure == null ? () -> q.promise().complete() : () -> q.promise().fail(failure);
        if (q.context() != null) {
            q.context().runOnContext(v -> done.run());
        } else {
            done.run();
        }
    }
}
