package org.cpnskeys.server.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.protocol.io.GroupCommitWriter;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one writer thread of the SQLite EUKey store, which owns its connection: the group commit described on
 * {@link SqliteEuKeyRepository}, on the project's {@link GroupCommitWriter}. Every statement on the connection
 * runs in a {@link Work} on that thread: each in a savepoint of the batch's one transaction (a failing operation
 * rolls back only itself), then one commit; each caller's future completes on its context after the commit.
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
    private final AtomicLong commits = new AtomicLong();
    private final AtomicLong operations = new AtomicLong();
    private volatile GroupCommitWriter<Op<?>> writer;

    SqliteWriter(final Vertx vertx, final Path file, final Connection connection) throws SQLException {
        this.vertx = vertx;
        this.file = file;
        this.connection = connection;
        this.savepoint = connection.prepareStatement("SAVEPOINT op");
        this.release = connection.prepareStatement("RELEASE op");
        this.rollbackTo = connection.prepareStatement("ROLLBACK TO op");
    }

    /** Starts the thread; from now on only it touches the connection. */
    void start() {
        writer = GroupCommitWriter.start("cpns-eukey-store-writer", MAX_BATCH, this::runBatch, this::closeConnection,
                "EUKey store is closed");
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
        return writer.close(vertx.getOrCreateContext());
    }

    /** Queues one operation for the writer thread; its future completes on the caller's context after the commit. */
    <T> Future<T> submit(final Work<T> work) {
        final Op<T> op = new Op<>(work);
        return writer.submit(op, vertx.getOrCreateContext()).compose(v -> op.outcome());
    }

    private void closeConnection() {
        SqliteConnections.closeQuietly(connection);
        LOG.info("EUKey store closed: {} ({} commits, {} operations)", file, commits.get(), operations.get());
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
    }

    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /**
     * One queued operation and, once its batch ran, its result or failure (written on the writer thread, read on
     * the caller's context after the group-commit writer handed the completion over to it).
     */
    private final class Op<T> {
        private final Work<T> work;
        private T result;
        private Throwable failure;

        Op(final Work<T> work) {
            this.work = work;
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

        Future<T> outcome() {
            return failure != null ? Future.failedFuture(failure) : Future.succeededFuture(result);
        }
    }
}
