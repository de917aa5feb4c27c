package org.cpnskeys.server.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one writer thread of the SQLite EUKey store, which owns its connection: the group commit described on
 * {@link SqliteEuKeyRepository}. Every statement on the connection runs in a {@link Work} on this thread.
 */
final class SqliteWriter {
    /** Logs as the store it belongs to. */
    private static final Logger LOG = LoggerFactory.getLogger(SqliteEuKeyRepository.class);
    private static final int MAX_BATCH = SqliteEuKeyRepository.MAX_BATCH;

    private final Vertx vertx;
    private final Path file;
    private final Connection connection;
    private final PreparedStatement savepoint;
    private final PreparedStatement release;
    private final PreparedStatement rollbackTo;
    private final BlockingQueue<Op<?>> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private final AtomicLong commits = new AtomicLong();
    private final AtomicLong operations = new AtomicLong();
    private final Object lock = new Object();
    private boolean closed;
    private Op<Void> stop;

    SqliteWriter(final Vertx vertx, final Path file, final Connection connection) throws SQLException {
        this.vertx = vertx;
        this.file = file;
        this.connection = connection;
        this.savepoint = connection.prepareStatement("SAVEPOINT op");
        this.release = connection.prepareStatement("RELEASE op");
        this.rollbackTo = connection.prepareStatement("ROLLBACK TO op");
        this.thread = new Thread(this::runWriter, "cpns-eukey-store-writer");
        this.thread.setDaemon(true);
    }

    /** Starts the thread; from now on only it touches the connection. */
    void start() {
        thread.start();
    }

    /** How many transactions the writer committed so far (one per batch). */
    long commitCount() {
        return commits.get();
    }

    /** How many operations the writer ran so far. */
    long operationCount() {
        return operations.get();
    }

    /** Stops the writer after the operations queued before; completes once the connection is closed. */
    Future<Void> close() {
        synchronized (lock) {
            if (!closed) {
                closed = true;
                stop = new Op<>(null, vertx.getOrCreateContext());
                queue.add(stop);
            }
            return stop.promise.future();
        }
    }

    /** Queues one operation for the writer thread; its future completes on the caller's context after the commit. */
    <T> Future<T> submit(final Work<T> work) {
        final Op<T> op = new Op<>(work, vertx.getOrCreateContext());
        synchronized (lock) {
            if (closed) {
                return Future.failedFuture(new IllegalStateException("EUKey store is closed"));
            }
            queue.add(op);
        }
        return op.promise.future();
    }

    private void runWriter() {
        final List<Op<?>> batch = new ArrayList<>(MAX_BATCH);
        boolean running = true;
        while (running) {
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                continue; // nobody interrupts this thread but close(); keep draining until the stop marker
            }
            queue.drainTo(batch, MAX_BATCH - 1);
            Op<?> stopMarker = null;
            final int last = batch.size() - 1;
            if (batch.get(last).work == null) {
                stopMarker = batch.remove(last); // close() enqueues it last, and nothing is queued after it
            }
            try {
                if (!batch.isEmpty()) {
                    runBatch(batch);
                }
            } catch (RuntimeException e) {
                LOG.error("EUKey store writer: unexpected failure, {} operations may be unanswered", batch.size(), e);
            }
            batch.clear();
            if (stopMarker != null) {
                running = false;
                SqliteConnections.closeQuietly(connection);
                LOG.info("EUKey store closed: {} ({} commits, {} operations)", file, commits.get(), operations.get());
                stopMarker.deliver();
            }
        }
    }

    private void runBatch(final List<Op<?>> batch) {
        for (final Op<?> op : batch) {
            op.runInSavepoint();
        }
        try {
            connection.commit();
            commits.incrementAndGet();
        } catch (SQLException e) {
            LOG.error("EUKey store commit failed, {} operations refused: {}", batch.size(), e.getMessage());
            try {
                connection.rollback();
            } catch (SQLException ignored) {
                // the commit failure is what is reported
            }
            for (final Op<?> op : batch) {
                op.failIfSucceeded(new IllegalStateException("EUKey store commit failed: " + e.getMessage(), e));
            }
        }
        operations.addAndGet(batch.size());
        for (final Op<?> op : batch) {
            op.deliver();
        }
    }

    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** One queued operation; {@code work == null} marks the stop request of {@link #close()}. */
    private final class Op<T> {
        private final Work<T> work;
        private final Context context;
        private final Promise<T> promise = Promise.promise();
        private T result;
        private Throwable failure;

        Op(final Work<T> work, final Context context) {
            this.work = work;
            this.context = context;
        }

        void runInSavepoint() {
            try {
                savepoint.execute();
            } catch (SQLException e) {
                failure = new IllegalStateException("EUKey store: " + e.getMessage(), e);
                return;
            }
            try {
                result = work.run(connection);
                release.execute();
            } catch (SQLException | RuntimeException e) {
                failure = e instanceof SQLException ? new IllegalStateException("EUKey store: " + e.getMessage(), e) : e;
                result = null;
                try {
                    rollbackTo.execute();
                    release.execute();
                } catch (SQLException ignored) {
                    // the operation's own failure is what is reported
                }
            }
        }

        void failIfSucceeded(final Throwable t) {
            if (failure == null) {
                failure = t;
                result = null;
            }
        }

        void deliver() {
            final T r = result;
            final Throwable f = failure;
            context.runOnContext(v -> {
                if (f != null) {
                    promise.fail(f);
                } else {
                    promise.complete(r);
                }
            });
        }
    }
}
