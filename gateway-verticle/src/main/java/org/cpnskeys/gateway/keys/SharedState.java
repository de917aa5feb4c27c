package org.cpnskeys.gateway.keys;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.cpnskeys.gateway.ApprovedJournal;
import org.cpnskeys.protocol.KeyRequest;

/**
 * What the gateway's instances share: the sessions by (Entity ID, request ID), so that a PNE's retry reaching
 * another instance is handed to the one that owns the request; the proxy's digest nonce; and the journal of approved
 * requests, with what a previous run left open (each instance resumes its share at start).
 */
public final class SharedState {
    final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
    final ProxyDigest digest = new ProxyDigest();
    final Optional<ApprovedJournal> journal;
    final List<KeyRequest> resume;
    final int instances;
    /** The instance that makes the releases the user asks for (the first one constructed). */
    final java.util.concurrent.atomic.AtomicReference<GatewayKeyService> releaser =
            new java.util.concurrent.atomic.AtomicReference<>();

    /** {@code journal}: where approvals are recorded (empty: nowhere, they do not survive a restart). */
    public SharedState(final Optional<ApprovedJournal> journal, final int instances) {
        if (instances < 1) {
            throw new IllegalArgumentException("at least one instance");
        }
        this.journal = journal;
        this.resume = journal.map(ApprovedJournal::unfinished).orElse(List.of());
        this.instances = instances;
    }

    public int instances() {
        return instances;
    }

    /**
     * Releases {@code entity} for the gateway's user ({@link GatewayKeyService#release}); 503 while no instance
     * runs.
     */
    public io.vertx.core.Future<org.cpnskeys.protocol.StatusReport> release(final org.cpnskeys.protocol.EntityId entity) {
        final GatewayKeyService service = releaser.get();
        return service != null ? service.release(entity) : io.vertx.core.Future.succeededFuture(
                org.cpnskeys.protocol.StatusReport.of(Optional.empty(), Optional.of(entity),
                        org.cpnskeys.protocol.Status.UNAVAILABLE, "the gateway is not running"));
    }

    /** Zeroes what the instances shared that is secret (the proxy's ephemeral keys); after the last stop. */
    public void close() {
        digest.close();
    }
}
