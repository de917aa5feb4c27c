package org.cpnskeys.server.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.auth.htdigest.HtdigestAuth;
import io.vertx.ext.auth.htdigest.HtdigestCredentials;

import org.cpnskeys.protocol.DigestAuthorization;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.Ha1;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The users of one digest realm, from an htdigest file, checked by vertx-auth-htdigest behind this wrapper.
 *
 * <p>The file is read and validated off the event loop ({@link HtdigestFile}), so a malformed file fails with
 * a message naming the line instead of crashing vertx-auth-htdigest. A periodic timer watches the file's
 * modification time, size and identity; on a change a new {@link HtdigestAuth} is built off the event loop and
 * swapped in. An invalid new file keeps the previous users and logs why (never a secret).
 *
 * <p>{@link #verify} answers every failure alike: unknown user, wrong response and wrong realm all fail with
 * {@code ProtocolException(401, "authentication failed")}. Nonce freshness, (nonce, nc) replay and the match of
 * the digest-uri with the request are the caller's job ({@link NonceService}; single use is recorded in the store with the key it authorised).
 */
public final class DigestRealm {
    /** How often the file is checked for changes by default. */
    public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(2);
    /** The reason of every authentication failure. */
    public static final String FAILED = "authentication failed";

    private static final Logger LOG = LoggerFactory.getLogger(DigestRealm.class);
    private static final int READ_ATTEMPTS = 3;
    private static final Ha1 DUMMY = Ha1.fromHex("00000000000000000000000000000000");

    private final Vertx vertx;
    private final Path file;
    private final String realm;
    private final long timerId;
    private final AtomicBoolean polling = new AtomicBoolean();
    private final AtomicLong reloads = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private volatile Snapshot current;
    private volatile Stamp lastSeen;
    private volatile boolean closed;

    /** What identifies one version of the file: a rename gives a new file key, an edit a new time or size. */
    private record Stamp(FileTime modified, long size, Object fileKey) {
    }

    /** One consistent version of the file; {@code auth} is null when the file holds no user. */
    private record Snapshot(Stamp stamp, HtdigestFile users, HtdigestAuth auth) {
    }

    private DigestRealm(final Vertx vertx, final Path file, final String realm, final Snapshot first,
            final Duration reloadInterval) {
        this.vertx = vertx;
        this.file = file;
        this.realm = realm;
        this.current = first;
        this.lastSeen = first.stamp();
        this.timerId = vertx.setPeriodic(Math.max(1, reloadInterval.toMillis()), id -> poll());
    }

    /** Loads the realm's users from {@code htdigestFile}, watching it every {@link #DEFAULT_RELOAD_INTERVAL}. */
    public static Future<DigestRealm> load(final Vertx vertx, final Path htdigestFile, final String realm) {
        return load(vertx, htdigestFile, realm, DEFAULT_RELOAD_INTERVAL);
    }

    /**
     * Loads the realm's users from {@code htdigestFile} (off the event loop) and watches the file every
     * {@code reloadInterval}. Fails with an {@link InvalidHtdigestFileException} naming the line when the file
     * is malformed or holds another realm.
     */
    public static Future<DigestRealm> load(final Vertx vertx, final Path htdigestFile, final String realm,
            final Duration reloadInterval) {
        Objects.requireNonNull(realm, "realm");
        if (reloadInterval.isNegative() || reloadInterval.isZero()) {
            return Future.failedFuture(new IllegalArgumentException("reload interval must be positive"));
        }
        final Path file = htdigestFile.toAbsolutePath();
        return vertx.executeBlocking(() -> readSnapshot(vertx, file, realm), false)
                .map(first -> {
                    LOG.info("digest realm \"{}\": {} user(s) from {}", realm, first.users().size(), file);
                    return new DigestRealm(vertx, file, realm, first, reloadInterval);
                });
    }

    /** The realm's name. */
    public String realm() {
        return realm;
    }

    /** How many times a changed file was loaded since start. */
    public long reloadCount() {
        return reloads.get();
    }

    /** How many times a changed file was refused (invalid or unreadable), keeping the previous users. */
    public long rejectedReloadCount() {
        return rejected.get();
    }

    /**
     * Succeeds with the user's HA1 (a new object the caller destroys) when vertx-auth-htdigest accepts the
     * response for {@code method} and the realm is this one; fails with {@code ProtocolException(401,
     * "authentication failed")} otherwise, whatever the reason.
     */
    public Future<Ha1> verify(final DigestAuthorization auth, final String method) {
        final Snapshot s = current;
        final Optional<Ha1> ha1 = s.users().ha1(auth.userId(), realm);
        if (s.auth() == null || ha1.isEmpty() || !realm.equals(auth.realm())) {
            // spend about the same work as a real check, so timing does not tell unknown users apart
            DigestClient.response(DUMMY, auth.nonce(), auth.nc(), auth.cnonce(), auth.qop(),
                    DigestClient.ha2(String.valueOf(method), auth.uri()));
            ha1.ifPresent(Ha1::destroy);
            return failed();
        }
        final HtdigestCredentials credentials = new HtdigestCredentials()
                .setUsername(auth.username())
                .setRealm(auth.realm())
                .setNonce(auth.nonce())
                .setUri(auth.uri())
                .setQop(auth.qop())
                .setNc(auth.nc())
                .setCnonce(auth.cnonce())
                .setResponse(auth.response())
                .setMethod(method)
                .setAlgorithm(DigestClient.ALGORITHM);
        Future<?> checked;
        try {
            checked = s.auth().authenticate(credentials);
        } catch (RuntimeException e) {
            checked = Future.failedFuture(e);
        }
        return checked.transform(ar -> {
            if (ar.succeeded()) {
                return Future.succeededFuture(ha1.get());
            }
            ha1.get().destroy();
            return failed();
        });
    }

    /** Stops watching the file. */
    public Future<Void> close() {
        closed = true;
        vertx.cancelTimer(timerId);
        return Future.succeededFuture();
    }

    private static <T> Future<T> failed() {
        return Future.failedFuture(new ProtocolException(Status.UNAUTHORIZED, FAILED));
    }

    private void poll() {
        if (closed || !polling.compareAndSet(false, true)) {
            return;
        }
        vertx.executeBlocking(() -> {
            reloadIfChanged();
            return null;
        }, false).onComplete(ar -> polling.set(false));
    }

    /** Loads the file now if it changed (an admin edit is live once this completes), off the event loop. */
    public Future<Void> reloadNow() {
        return vertx.executeBlocking(() -> {
            reloadIfChanged();
            return null;
        }, false);
    }

    /** Runs on a worker; one at a time (the timer's poll and {@link #reloadNow}). */
    private synchronized void reloadIfChanged() {
        final Stamp now;
        try {
            now = stamp(file);
        } catch (IOException e) {
            if (lastSeen != null) {
                LOG.error("digest realm \"{}\": {} cannot be read ({}); keeping the {} user(s) loaded before",
                        realm, file, e.toString(), current.users().size());
                lastSeen = null;
                rejected.incrementAndGet();
            }
            return;
        }
        if (now.equals(lastSeen) || closed) {
            return;
        }
        try {
            final Snapshot next = readSnapshot(vertx, file, realm);
            current = next;
            lastSeen = next.stamp();
            reloads.incrementAndGet();
            LOG.info("digest realm \"{}\": reloaded {}, {} user(s)", realm, file, next.users().size());
        } catch (IOException | RuntimeException e) {
            lastSeen = now; // log once per version of the file
            rejected.incrementAndGet();
            LOG.error("digest realm \"{}\": {} not reloaded, keeping the {} user(s) loaded before: {}", realm, file,
                    current.users().size(), e.getMessage());
        }
    }

    /** Reads, validates and hands the file to vertx-auth-htdigest, making sure both saw the same version. */
    private static Snapshot readSnapshot(final Vertx vertx, final Path file, final String realm) throws IOException {
        for (int attempt = 1; ; attempt++) {
            final Stamp before = stamp(file);
            final HtdigestFile users = HtdigestFile.read(file).requireSingleRealm(realm);
            final HtdigestAuth auth;
            try {
                auth = users.size() == 0 ? null : HtdigestAuth.create(vertx, file.toString());
            } catch (RuntimeException e) {
                throw new IOException(file + ": vertx-auth-htdigest cannot read it: " + e.getClass().getSimpleName());
            }
            if (before.equals(stamp(file))) {
                return new Snapshot(before, users, auth);
            }
            if (attempt == READ_ATTEMPTS) {
                throw new IOException(file + " kept changing while being read");
            }
        }
    }

    private static Stamp stamp(final Path file) throws IOException {
        final BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        return new Stamp(a.lastModifiedTime(), a.size(), a.fileKey());
    }
}
