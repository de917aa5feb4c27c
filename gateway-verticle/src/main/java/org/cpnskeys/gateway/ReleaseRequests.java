package org.cpnskeys.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import java.util.function.Function;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.StatusReport;
import org.cpnskeys.protocol.crypto.SecretFiles;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How {@code cpns gateway release} reaches the running gateway, the way {@code cpns gateway revoke} does: through the
 * gateway's data folder. The command writes {@code release-requests/<entity>.request}; the running gateway, which
 * looks every {@link #POLL_MS} ms, takes it (deletes it), makes the release and writes
 * {@code release-requests/<entity>.done} (JSON: {@code status}, {@code reason}), which the command reads and deletes.
 * The folder is owner-only. Blocking methods: call them on a worker.
 */
public final class ReleaseRequests {
    private static final Logger LOG = LoggerFactory.getLogger(ReleaseRequests.class);
    public static final String FOLDER = "release-requests";
    public static final long POLL_MS = 250;
    private static final String REQUEST = ".request";
    private static final String DONE = ".done";

    private final Path dir;

    public ReleaseRequests(final Path dataDir) {
        this.dir = dataDir.resolve(FOLDER);
    }

    /**
     * The gateway's side: every {@link #POLL_MS} ms, takes the waiting requests (on a worker), releases each with
     * {@code release} and writes its answer. Returns the timer.
     */
    public static long watch(final Vertx vertx, final Path dataDir,
            final Function<EntityId, Future<StatusReport>> release) {
        final ReleaseRequests requests = new ReleaseRequests(dataDir);
        return vertx.setPeriodic(POLL_MS, t -> vertx.executeBlocking(requests::take, false)
                .onSuccess(entities -> entities.forEach(entity -> {
                    LOG.info("'cpns gateway release' asks to release PNE {}", entity);
                    release.apply(entity).compose(status -> vertx.executeBlocking(() -> {
                        requests.answer(entity, status);
                        return null;
                    }, false)).onFailure(e -> LOG.warn("cannot answer the release of {}: {}", entity, e.getMessage()));
                }))
                .onFailure(e -> LOG.warn("cannot read the release requests: {}", e.getMessage())));
    }

    /** The command's side: asks the running gateway to release {@code entity} (an earlier answer is dropped). */
    public Path submit(final EntityId entity) throws IOException {
        SecretFiles.ownerOnlyDirectory(dir);
        Files.deleteIfExists(done(entity));
        final Path request = dir.resolve(entity.value() + REQUEST);
        SecretFiles.writeAtomically(request, new byte[0]);
        return request;
    }

    /** The command's side: the gateway's answer, if it came (read and deleted). */
    public Optional<JsonObject> answer(final EntityId entity) throws IOException {
        final Path file = done(entity);
        try {
            final JsonObject answer = new JsonObject(Files.readString(file, StandardCharsets.UTF_8));
            Files.deleteIfExists(file);
            return Optional.of(answer);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** The command's side, giving up: withdraws the request if the gateway did not take it. */
    public boolean withdraw(final EntityId entity) throws IOException {
        return Files.deleteIfExists(dir.resolve(entity.value() + REQUEST));
    }

    /** The gateway's side: the requests waiting, each taken (its file deleted) so that it is made once. */
    public List<EntityId> take() throws IOException {
        final List<EntityId> taken = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return taken;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + REQUEST)) {
            for (final Path f : files) {
                final String name = f.getFileName().toString();
                final String entity = name.substring(0, name.length() - REQUEST.length());
                if (Files.deleteIfExists(f)) {
                    try {
                        taken.add(EntityId.of(entity));
                    } catch (IllegalArgumentException e) {
                        // not an Entity ID: nobody's request, dropped
                    }
                }
            }
        }
        return taken;
    }

    /** The gateway's side: the final status of a release, for the command. */
    public void answer(final EntityId entity, final StatusReport status) throws IOException {
        SecretFiles.writeAtomically(done(entity), new JsonObject().put("status", status.status())
                .put("reason", status.reason()).encode().getBytes(StandardCharsets.UTF_8));
    }

    private Path done(final EntityId entity) {
        return dir.resolve(entity.value() + DONE);
    }
}
