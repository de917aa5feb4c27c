package org.cpnskeys.server.seal;

import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.server.store.KeyInfo;
import org.cpnskeys.server.store.NewKey;
import org.cpnskeys.server.store.SealChange;
import org.cpnskeys.server.store.StoredKey;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seals EUKeys for the store and opens them again, bound to their rows ({@link KeyBinding}). A key opens only if
 * it carries the current seal and its row says what it said when the key was sealed; anything else is reported
 * (an ERROR line without key material, and the {@link Listener}: a metric and an audit line) and fails with
 * {@link StoredKeyUnopenableException}, so the key is never delivered. Thread-safe (when its seals are: both
 * kinds are). {@link #seal} and {@link #open} block when the current seal does ({@link KeySeal#blocking()}): an
 * event loop calls {@link #sealOffLoop} and {@link #openOffLoop} instead.
 */
public final class StoredKeySealer {
    private static final Logger LOG = LoggerFactory.getLogger(StoredKeySealer.class);

    /** Told of every stored key that did not open (after it was logged). */
    @FunctionalInterface
    public interface Listener {
        Listener NONE = (key, why) -> {
        };

        /** {@code key} (without key material) did not open, for the reason {@code why} (no secrets in it). */
        void unopenable(KeyInfo key, String why);
    }

    private final SealSet seals;
    private final Listener listener;

    public StoredKeySealer(final SealSet seals, final Listener listener) {
        this.seals = Objects.requireNonNull(seals, "seals");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** The seals this sealer knows. */
    public SealSet seals() {
        return seals;
    }

    /** The new key to store: {@code euKey} sealed with the current seal, bound to {@code binding}. */
    public NewKey seal(final SecretBytes euKey, final KeyBinding binding, final boolean proxy, final Instant createdAt) {
        final KeySeal current = seals.current();
        return new NewKey(binding.entity(), binding.user(), binding.gateway(), binding.request(), binding.keyId(),
                proxy, current.seal(euKey, binding), current.id(), createdAt);
    }

    /**
     * {@link #seal}, on a worker thread of the caller's Vert.x context when the current seal blocks (a PKCS#11
     * token), else right here (in memory, cheap enough for an event loop). The caller keeps {@code euKey} alive until
     * the future completes.
     */
    public Future<NewKey> sealOffLoop(final SecretBytes euKey, final KeyBinding binding, final boolean proxy,
            final Instant createdAt) {
        return offLoop(() -> seal(euKey, binding, proxy, createdAt));
    }

    /**
     * {@link #open}, on a worker thread when the current seal blocks (see {@link #sealOffLoop}). The caller destroys
     * the key it gets.
     */
    public Future<SecretBytes> openOffLoop(final StoredKey stored) {
        return offLoop(() -> open(stored));
    }

    private <T> Future<T> offLoop(final Callable<T> work) {
        final Context context = Vertx.currentContext();
        if (seals.current().blocking() && context != null) {
            return context.executeBlocking(work, false);
        }
        try {
            return Future.succeededFuture(work.call());
        } catch (Exception e) {
            return Future.failedFuture(e);
        }
    }

    /**
     * The EUKey of a stored row, for delivery. Only the current seal is accepted: a key still under a retired
     * seal binds less of its row and is re-sealed at start, before any delivery.
     *
     * @throws StoredKeyUnopenableException if it does not open; reported before it is thrown
     */
    public SecretBytes open(final StoredKey stored) {
        if (stored.seal() != seals.current().id()) {
            throw unopenable(stored, "it carries seal " + stored.seal() + ", not the current "
                    + seals.current().describe() + (stored.seal() == Pkcs11Seal.ID
                            ? " (it was sealed in a PKCS#11 token: start the server with --master-key pkcs11, or move"
                                    + " the keys with `cpns server migrate-master-key --to file`)"
                            : " (re-seal the store with `cpns server reseal`)"));
        }
        try {
            return seals.current().open(stored.sealedKey(), KeyBinding.of(stored));
        } catch (GeneralSecurityException e) {
            throw unopenable(stored, "its sealed bytes do not match the row (changed in the database?)");
        }
    }

    /**
     * The change that moves {@code stored} from its seal to the current one, or empty if its seal is unknown here
     * (left as it is). A key that does not open under its own seal is reported and fails.
     *
     * @throws StoredKeyUnopenableException if it does not open; reported before it is thrown
     */
    Optional<SealChange> reseal(final StoredKey stored) {
        final Optional<KeySeal> from = seals.byId(stored.seal());
        if (from.isEmpty()) {
            return Optional.empty();
        }
        final KeyBinding binding = KeyBinding.of(stored);
        final byte[] before = stored.sealedKey();
        try (SecretBytes euKey = from.get().open(before, binding)) {
            return Optional.of(new SealChange(stored.keyId(), stored.seal(), before, seals.current().id(),
                    seals.current().seal(euKey, binding)));
        } catch (GeneralSecurityException e) {
            throw unopenable(stored, "its sealed bytes do not match the row under " + from.get().describe()
                    + " (changed in the database?); left as it is");
        }
    }

    private StoredKeyUnopenableException unopenable(final StoredKey stored, final String why) {
        LOG.error("stored EUKey {} cannot be opened and is not delivered: entity={} user={} request={} gateway={}"
                + " seal={}: {}", stored.keyId(), stored.entityId(), stored.userId(), stored.requestId(),
                stored.gatewayId(), stored.seal(), why);
        try {
            listener.unopenable(stored.info(), why);
        } catch (RuntimeException e) {
            LOG.warn("reporting the unopenable key {} failed: {}", stored.keyId(), e.toString());
        }
        return new StoredKeyUnopenableException();
    }
}
