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
import java.util.Set;

import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.io.GroupCommitWriter;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every assignment and refusal as one JSON line (time, gateway, entity, user, proxy, outcome, status,
 * reason, key id), and every admin action (time, actor, action, entity, user, outcome, reason), in an owner-only
 * append-only file. Never key material, digests or nonces. Written by
 * one background thread in batches of up to {@value #MAX_BATCH} lines (one write and one sync per batch, on
 * {@link GroupCommitWriter}), so callers on event loops never wait for the disk. After a failed write nothing
 * more is written (no later line without the earlier ones).
 */
public final class AuditLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
    private static final int MAX_BATCH = 1024;
    /** A log that records nothing (tests of other parts, tools). */
    public static final AuditLog NONE = new AuditLog();

    private final FileChannel channel;
    private final GroupCommitWriter<JsonObject> writer;
    /** Set on the writer thread once a write failed. */
    private boolean failed;

    private AuditLog() {
        channel = null;
        writer = null;
    }

    private AuditLog(final FileChannel channel) {
        this.channel = channel;
        this.writer = GroupCommitWriter.start("cpns-audit", MAX_BATCH, this::write, this::closeChannel,
                "the audit log is closed");
    }

    /** Opens (creating owner-only) the audit file for appending. Blocking. */
    public static AuditLog open(final Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        final FileChannel ch = Files.exists(file)
                ? FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)
                : FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        return new AuditLog(ch);
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

    /** One batch: one write and one sync; after a failed write the log stays silent. */
    private void write(final List<JsonObject> batch) {
        if (failed) {
            return;
        }
        final StringBuilder sb = new StringBuilder();
        for (final JsonObject o : batch) {
            sb.append(o.encode()).append('\n');
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
        }
    }

    private void closeChannel() {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.warn("audit log close failed: {}", e.toString());
        }
    }

    /** Writes what is queued and closes the file (waits up to 10 s). Blocking. */
    @Override
    public void close() {
        if (channel != null) {
            writer.closeAndWait(Duration.ofSeconds(10));
        }
    }
}
