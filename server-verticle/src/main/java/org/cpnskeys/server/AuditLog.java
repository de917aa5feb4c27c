package org.cpnskeys.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.io.GroupCommitWriter;
import org.cpnskeys.server.audit.AuditChain;
import org.cpnskeys.server.store.AuditHead;
import org.cpnskeys.server.store.EuKeyRepository;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every assignment and refusal as one JSON line (time, gateway, entity, user, proxy, outcome, status,
 * reason, key id), and every admin action (time, actor, action, entity, user, outcome, reason), in an owner-only
 * append-only file. Never key material, digests or nonces. Written by
 * one background thread in batches of up to {@value #MAX_BATCH} lines (one write and one sync per batch, on
 * {@link GroupCommitWriter}), so callers on event loops never wait for the disk. After a failed write nothing
 * more is written (no later line without the earlier ones).
 *
 * <p><b>Hash chain.</b> Each line starts with {@code "seq"} and {@code "prev"} ({@link AuditChain}). Once
 * {@link #anchor anchored} in the EUKey store, after each batch's fsync the writer moves the store's
 * {@link AuditHead} (line count, hash of the last line) forward. Crash order: the file is synced first and the
 * head written after, so the head never counts a line the disk does not hold; a crash between the two leaves
 * lines after the head, which {@code cpns audit verify} reports but does not judge (they are covered by the next
 * head). A line torn by a crash during the write (no newline) was never acknowledged nor counted by a head; it is
 * cut off when the log is opened again. {@link #anchor} refuses a log whose line {@code head.lines} does not hash
 * to the stored head (the log was edited, truncated or replaced while the server was down), so a server never
 * chains new lines onto a tampered log and hides the edit.
 */
public final class AuditLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
    private static final int MAX_BATCH = 1024;
    /** A log that records nothing (tests of other parts, tools). */
    public static final AuditLog NONE = new AuditLog();

    private final Path file;
    /** The log's ID (its {@code .id} file), under which the store keeps its head. */
    private final String logId;
    private final FileChannel channel;
    private final GroupCommitWriter<JsonObject> writer;
    /** Set on the writer thread once a write failed. */
    private boolean failed;
    /** Lines in the file and the hash of the last (writer thread only, after open). */
    private long lines;
    private String last;
    /** Where the head goes once anchored; the last head update sent there. */
    private volatile EuKeyRepository store;
    private volatile Future<Void> lastHead = Future.succeededFuture();

    private AuditLog() {
        file = null;
        logId = null;
        channel = null;
        writer = null;
    }

    private AuditLog(final Path file, final String logId, final FileChannel channel, final AuditChain.End end) {
        this.file = file;
        this.logId = logId;
        this.channel = channel;
        this.lines = end.lines();
        this.last = end.lastHash();
        this.writer = GroupCommitWriter.start("cpns-audit", MAX_BATCH, this::write, this::closeChannel,
                "the audit log is closed");
    }

    /**
     * Opens (creating owner-only) the audit file for appending, continuing its chain; a torn last line (a crash
     * during a write) is cut off. Blocking.
     */
    public static AuditLog open(final Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        final AuditChain.End end = AuditChain.end(file);
        final FileChannel ch = Files.exists(file)
                ? FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)
                : FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        if (ch.size() > end.bytes()) {
            LOG.warn("audit log {}: cut off {} bytes of a line torn by a crash during its write (never acknowledged)",
                    file, ch.size() - end.bytes());
            ch.truncate(end.bytes());
            ch.force(true);
        }
        return new AuditLog(file, AuditChain.logId(file), ch, end);
    }

    /**
     * Checks the log against the head the store keeps and, if it matches (or none is kept yet), keeps the head
     * there from now on. Fails when line {@code head.lines} of the log is missing or differs.
     */
    public Future<Void> anchor(final Vertx vertx, final EuKeyRepository headStore) {
        if (channel == null) {
            return Future.succeededFuture();
        }
        return headStore.auditHead(logId).compose(head -> vertx.executeBlocking(() -> {
            if (head.isEmpty()) {
                // a log the store has never seen: new, or written by offline commands before the server's first
                // start ('cpns user add'); anchored at its end from now on
                final AuditChain.End end = AuditChain.end(file);
                if (end.lines() > 0) {
                    LOG.warn("audit log {} (ID {}): {} lines written before the store kept its head; anchored at its"
                            + " end", file, logId, end.lines());
                }
                return Optional.of(new AuditHead(logId, end.lines(), end.lastHash()));
            }
            if (head.get().lines() > 0) {
                final Optional<String> at = AuditChain.hashOfLine(file, head.get().lines());
                if (!at.equals(Optional.of(head.get().hash()))) {
                    throw new IllegalStateException("the audit log " + file + " does not match the head the EUKey"
                            + " store keeps (" + head.get().lines() + " lines): it was edited, truncated or replaced"
                            + " while the server was down; see 'cpns audit verify'");
                }
            }
            return Optional.<AuditHead>empty();
        }, false)).compose(first -> first.isEmpty() ? Future.<Void>succeededFuture()
                // registered now: from here on the log cannot be edited or replaced unseen
                : headStore.advanceAuditHead(first.get()))
                .onSuccess(v -> store = headStore);
    }

    /** The log's ID, under which the store keeps its head (empty for {@link #NONE}). */
    public Optional<String> logId() {
        return Optional.ofNullable(logId);
    }

    /** Records one event; never blocks. */
    public void record(final String event, final String gateway, final String entity, final String user,
            final boolean proxy, final int status, final String reason, final String keyId) {
        if (channel == null) {
            return;
        }
        final JsonObject line = new JsonObject().put("time", Instant.now().toString()).put("event", event)
                .put("gateway", gateway).put("entity", entity).put("user", user).put("proxy", proxy)
                .put("status", status);
        if (reason != null) {
            line.put("reason", reason);
        }
        if (keyId != null) {
            line.put("keyId", keyId);
        }
        writer.enqueue(line);
    }

    /**
     * Records one admin action: who (the authenticated actor and where from), what, on which entity or user, and
     * how it ended. Never a token, password or digest. Never blocks.
     */
    public void admin(final String actor, final String action, final String entity, final String user,
            final String outcome, final String reason) {
        if (channel == null) {
            return;
        }
        final JsonObject line = new JsonObject().put("time", Instant.now().toString()).put("event", "admin")
                .put("actor", actor).put("action", action).put("outcome", outcome);
        if (entity != null) {
            line.put("entity", entity);
        }
        if (user != null) {
            line.put("user", user);
        }
        if (reason != null) {
            line.put("reason", reason);
        }
        writer.enqueue(line);
    }

    /**
     * One batch: each line chained to the one before, one write and one sync, then the head to the store; after a
     * failed write the log stays silent.
     */
    private void write(final List<JsonObject> batch) {
        if (failed) {
            return;
        }
        final StringBuilder sb = new StringBuilder();
        long n = lines;
        String prev = last;
        for (final JsonObject o : batch) {
            final byte[] line = new JsonObject().put("seq", ++n).put("prev", prev).mergeIn(o).encode()
                    .getBytes(StandardCharsets.UTF_8);
            prev = AuditChain.hash(line);
            sb.append(new String(line, StandardCharsets.UTF_8)).append('\n');
        }
        try {
            final ByteBuffer buf = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
            channel.force(false);
        } catch (IOException e) {
            failed = true;
            LOG.error("audit log write failed: {}", e.toString());
            return;
        }
        lines = n;
        last = prev;
        final EuKeyRepository headStore = store;
        if (headStore != null) {
            // only after the fsync: the head never counts a line the disk may not hold
            lastHead = headStore.advanceAuditHead(new AuditHead(logId, n, prev))
                    .onFailure(e -> LOG.warn("audit log head not stored (the next batch moves it): {}", e.toString()));
        }
    }

    private void closeChannel() {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.warn("audit log close failed: {}", e.toString());
        }
    }

    /** Writes what is queued, closes the file and waits for the last head update (up to 10 s each). Blocking. */
    @Override
    public void close() {
        if (channel == null) {
            return;
        }
        writer.closeAndWait(Duration.ofSeconds(10));
        final CountDownLatch done = new CountDownLatch(1);
        lastHead.onComplete(x -> done.countDown());
        try {
            done.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
