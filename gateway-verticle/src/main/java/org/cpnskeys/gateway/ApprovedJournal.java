package org.cpnskeys.gateway;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.vertx.core.Future;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.crypto.SecretFiles;
import org.cpnskeys.protocol.io.GroupCommitWriter;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The approved Key Requests the gateway has not finished yet, on disk, so that a gateway crash loses none: an
 * owner-only append-only file of lines {@code A <Key Request as JSON, without authorization>} (approved) and
 * {@code D <entityId>/<requestId>} (done: a final answer went to the PAN). An approval is acted on only once its
 * line is synced; one writer thread syncs whatever accumulated at once (group commit, {@link GroupCommitWriter}),
 * so one fsync serves many requests. The file holds what the PNE sent (Entity ID, request ID, description), never
 * key material, digests or the user's HA1. It is compacted at every start and whenever it grew past
 * {@link #COMPACT_BYTES}: rewritten atomically with the open entries only. Thread-safe; futures complete on the caller's context.
 */
public final class ApprovedJournal implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApprovedJournal.class);
    /** The file's name in the gateway's data folder. */
    public static final String FILE_NAME = "approved-requests.journal";
    static final long COMPACT_BYTES = 16L * 1024 * 1024;

    /** One line to append: an approval ({@code approved}, waited for and synced) or a done mark. */
    private record Op(String key, String line, boolean approved) {
    }

    private final Path file;
    private final MessageCodec codec;
    private final List<KeyRequest> unfinished;
    private final Map<String, String> open = new LinkedHashMap<>();
    private final GroupCommitWriter<Op> writer;
    private FileChannel channel;
    private long written;
    private volatile long syncs;

    private ApprovedJournal(final Path file, final MessageCodec codec) throws IOException {
        this.file = file;
        this.codec = codec;
        this.unfinished = load();
        compact();
        this.writer = GroupCommitWriter.start("cpns-gateway-journal", Integer.MAX_VALUE, this::writeBatch,
                this::closeChannel, "the journal of approved requests is closed");
    }

    /** Opens (creates owner-only) the journal in {@code dataDir}, reading what a previous run left open. Blocking. */
    public static ApprovedJournal open(final Path dataDir, final MessageCodec codec) throws IOException {
        return new ApprovedJournal(SecretFiles.ownerOnlyDirectory(dataDir).resolve(FILE_NAME), codec);
    }

    /** The approved requests a previous run did not finish, oldest first. */
    public List<KeyRequest> unfinished() {
        return List.copyOf(unfinished);
    }

    /** How many syncs the journal made (for tests and measurements). */
    long syncs() {
        return syncs;
    }

    /**
     * Records an approved request; the future completes (on the calling context) once the record is on disk.
     */
    public Future<Void> approved(final KeyRequest request) {
        final String line = "A " + codec.encode(request.withoutAuthorization()).toString(StandardCharsets.UTF_8) + "\n";
        if (line.indexOf('\n') != line.length() - 1) {
            return Future.failedFuture(new IllegalArgumentException("a Key Request encodes to more than one line"));
        }
        return writer.submit(new Op(key(request.entityId(), request.requestId()), line, true))
                .recover(e -> Future.failedFuture(new ProtocolException(org.cpnskeys.protocol.Status.INTERNAL_ERROR,
                        "the approval could not be recorded")));
    }

    /** Records that the request got its final answer (not waited for: a lost mark only means a harmless resend). */
    public void finished(final EntityId entity, final RequestId requestId) {
        final String key = key(entity, requestId);
        writer.enqueue(new Op(key, "D " + key + "\n", false));
    }

    /** Writes what is queued and closes the file (waits up to 10 s). Blocking. */
    @Override
    public void close() {
        writer.closeAndWait(Duration.ofSeconds(10));
    }

    private static String key(final EntityId entity, final RequestId requestId) {
        return entity.value() + "/" + requestId.value();
    }

    // ------------------------------------------------------------------ the writer thread

    /** One batch: appended in one write, synced once if it holds an approval; a failure fails its approvals. */
    private void writeBatch(final List<Op> batch) throws IOException {
        final StringBuilder text = new StringBuilder();
        boolean mustSync = false;
        for (final Op op : batch) {
            text.append(op.line());
            if (op.approved()) {
                mustSync = true;
                open.put(op.key(), op.line());
            } else {
                open.remove(op.key());
            }
        }
        try {
            final ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
            written += bytes.remaining();
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            if (mustSync) {
                channel.force(false);
                syncs++;
            }
            if (written > COMPACT_BYTES) {
                compact();
            }
        } catch (IOException | RuntimeException e) {
            LOG.error("cannot write the journal of approved requests {}: {}", file, e.toString());
            throw e;
        }
    }

    private void closeChannel() {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.warn("closing {}: {}", file, e.toString());
        }
    }

    /** Reads the open entries; a torn last line (a crash mid-write) is ignored. */
    private List<KeyRequest> load() throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        final String text = Files.readString(file, StandardCharsets.UTF_8);
        final int end = text.lastIndexOf('\n') + 1;
        final Map<String, KeyRequest> found = new LinkedHashMap<>();
        for (final String line : text.substring(0, end).split("\n")) {
            try {
                if (line.startsWith("A ")) {
                    final KeyRequest r = codec.decode(io.vertx.core.buffer.Buffer.buffer(line.substring(2)),
                            KeyRequest.class);
                    final String key = key(r.entityId(), r.requestId());
                    found.put(key, r);
                    open.put(key, line + "\n");
                } else if (line.startsWith("D ")) {
                    found.remove(line.substring(2));
                    open.remove(line.substring(2));
                }
            } catch (ProtocolException | IllegalArgumentException e) {
                LOG.warn("skipping an unreadable line of {}: {}", file, e.getMessage());
            }
        }
        if (!found.isEmpty()) {
            LOG.info("{} approved Key Requests were not finished before the gateway stopped: resuming them",
                    found.size());
        }
        return new ArrayList<>(found.values());
    }

    /** Rewrites the file atomically with the open entries only, and appends to it from then on. */
    private void compact() throws IOException {
        if (channel != null) {
            channel.close();
        }
        final StringBuilder text = new StringBuilder();
        open.values().forEach(text::append);
        SecretFiles.writeAtomically(file, text.toString().getBytes(StandardCharsets.UTF_8));
        channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        written = 0;
    }
}
