package org.cpnskeys.server.store;

import java.util.List;
import java.util.Optional;

import io.vertx.core.Future;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.RequestId;

/**
 * The server's EUKey store. Every implementation runs {@code EuKeyRepositoryContract}. A returned future
 * completes only after the change it reports is durably stored, on the Vert.x context of the caller.
 */
public interface EuKeyRepository {

    /**
     * Assigns {@code key} to its entity: {@link AssignResult.Created} (any previous key of the same user for
     * the entity becomes {@link KeyState#SUPERSEDED} in the same transaction), {@link AssignResult.Existing}
     * when the entity and request ID were assigned before (an idempotent retry), or
     * {@link AssignResult.Conflict} when the entity's key belongs to another user.
     */
    Future<AssignResult> assign(NewKey key);

    /** The entity's active key, if any. */
    Future<Optional<StoredKey>> findActive(EntityId entityId);

    /** The key assigned for the entity and request ID, whatever its state. */
    Future<Optional<StoredKey>> findByRequest(EntityId entityId, RequestId requestId);

    /** Every stored key, oldest first, without key material. */
    Future<List<KeyInfo>> list();

    /** Completes once pending operations finished and the store is closed; later calls fail. Idempotent. */
    Future<Void> close();
}
