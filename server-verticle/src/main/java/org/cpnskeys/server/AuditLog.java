package org.cpnskeys.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.vertx.core.json.JsonObject;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every assignment and refusal as one JSON line (time, gateway, entity, user, proxy, outcome, status,
 * reason, key id), and every admin action (time, actor, action, entity, user, outcome, reason), in an owner-only
 * append-only file. Never key material, digests or nonces. Written by
 * one background thread in batches (one write and one sync per batch), so callers on event loops never
 * wait for the disk.
 */
public final class AuditLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
    private static final JsonObject STOP = new JsonObject();
    /** A log that records nothing (tests of other parts, tools). */
    public static final AuditLog NONE = new AuditLog();

    private final BlockingQueue<JsonObject> queue = new LinkedBlockingQueue<>();
    private final FileChannel channel;
    private final Thread writer;

    private AuditLog() {
        channel = null;
        writer = null;
    }

    private AuditLog(final FileChannel channel) {
        this.channel = channel;
        this.writer = new Thread(this::drain, "cpns-audit");
        writer.setDaemon(true);
        writer.start();
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
        queue.add(line);
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
        queue.add(line);
    }

    private void drain() {
        final List<JsonObject> batch = new ArrayList<>();
        try {
            while (true) {
                final JsonObject first = queue.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, 1023);
                final StringBuilder sb = new StringBuilder();
                boolean stop = false;
                for (final JsonObject o : batch) {
                    if (o == STOP) {
                        stop = true;
                    } else {
                        sb.append(o.encode()).append('\n');
                    }
                }
                batch.clear();
                final ByteBuffer buf = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
                channel.force(false);
                if (stop) {
                    return;
                }
            }
        } catch (IOException e) {
            LOG.error("audit log write failed: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writes what is queued and closes the file. Blocking. */
    @Override
    public void close() {
        if (channel == null) {
            return;
        }
        queue.add(STOP);
        try {
            writer.join(10_000);
            channel.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.warn("audit log close failed: {}", e.toString());
        }
    }
}
