package org.cpnskeys.server.seal;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.server.store.EuKeyRepository;
import org.cpnskeys.server.store.KeyPage;
import org.cpnskeys.server.store.SealChange;
import org.cpnskeys.server.store.StoredKey;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves every stored key to the sealer's current seal, in batches: a page of keys not under the current seal is
 * read, each is opened under its own seal and sealed again under the current one (on a worker thread), and the
 * page's changes are written in one transaction, each row only if it still holds what was read (compare and set).
 *
 * <p><b>Crash-safe and resumable.</b> Every row says which seal it carries, and a row changes seal and sealed bytes
 * in one write; a crash or failure between batches leaves each key under its old seal or its new one, both of
 * which open, and a new run picks up the keys still under a retired seal. Several servers may run it at once on
 * one store: the compare and set makes a row change once. Keys that do not open under their seal are reported
 * ({@link StoredKeySealer}) and left as they are; keys under a seal this server does not know are left and
 * counted.
 */
public final class StoredKeyResealer {
    /** Keys per batch by default: one transaction each. */
    public static final int DEFAULT_BATCH = 256;
    private static final Logger LOG = LoggerFactory.getLogger(StoredKeyResealer.class);

    /**
     * What one run did.
     *
     * @param resealed keys moved to the current seal by this run
     * @param unopenable keys that did not open under their seal (reported, left as they are)
     * @param unknownSeal keys under a seal this server does not know (left as they are)
     * @param changedMeanwhile keys changed by someone else between read and write (another server re-sealing)
     */
    public record Report(int resealed, int unopenable, int unknownSeal, int changedMeanwhile) {
        static final Report NONE = new Report(0, 0, 0, 0);

        /** Whether every key the run saw is now under the current seal (or was moved there by someone else). */
        public boolean complete() {
            return unopenable == 0 && unknownSeal == 0;
        }

        Report plus(final Report o) {
            return new Report(resealed + o.resealed, unopenable + o.unopenable, unknownSeal + o.unknownSeal,
                    changedMeanwhile + o.changedMeanwhile);
        }
    }

    private final Vertx vertx;
    private final EuKeyRepository store;
    private final StoredKeySealer sealer;
    private final int batchSize;

    public StoredKeyResealer(final Vertx vertx, final EuKeyRepository store, final StoredKeySealer sealer,
            final int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be positive");
        }
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.store = Objects.requireNonNull(store, "store");
        this.sealer = Objects.requireNonNull(sealer, "sealer");
        this.batchSize = batchSize;
    }

    /** Walks the whole store once; fails if the store fails (what was written by then stays written). */
    public Future<Report> run() {
        return from(0, Report.NONE).onSuccess(r -> {
            if (r.resealed() > 0 || r.changedMeanwhile() > 0) {
                LOG.info("re-sealed {} stored EUKeys under {} ({} re-sealed meanwhile by another server)",
                        r.resealed(), sealer.seals().current().describe(), r.changedMeanwhile());
            }
            if (r.unopenable() > 0) {
                LOG.error("{} stored EUKeys do not open under their seal and were left as they are (see the errors"
                        + " above): they will not be delivered", r.unopenable());
            }
            if (r.unknownSeal() > 0) {
                LOG.warn("{} stored EUKeys carry a seal this server does not know and were left as they are: they"
                        + " will not be delivered until re-sealed by a server that knows their seal", r.unknownSeal());
            }
        });
    }

    private Future<Report> from(final long position, final Report sofar) {
        return store.findNotSealedWith(sealer.seals().current().id(), position, batchSize).compose(page -> {
            if (page.keys().isEmpty()) {
                return Future.succeededFuture(sofar);
            }
            return vertx.executeBlocking(() -> reseal(page), false)
                    .compose(batch -> store.replaceSeals(batch.changes()).map(written -> sofar.plus(new Report(
                            written, batch.unopenable(), batch.unknownSeal(), batch.changes().size() - written))))
                    .compose(next -> from(page.next(), next));
        });
    }

    private record Batch(List<SealChange> changes, int unopenable, int unknownSeal) {
    }

    /** Opens and re-seals one page (CPU work: runs on a worker). */
    private Batch reseal(final KeyPage page) {
        final List<SealChange> changes = new ArrayList<>(page.keys().size());
        int unopenable = 0;
        int unknown = 0;
        for (final StoredKey key : page.keys()) {
            try {
                final Optional<SealChange> change = sealer.reseal(key);
                if (change.isPresent()) {
                    changes.add(change.get());
                } else {
                    unknown++;
                }
            } catch (StoredKeyUnopenableException e) {
                unopenable++;
            }
        }
        return new Batch(changes, unopenable, unknown);
    }
}
