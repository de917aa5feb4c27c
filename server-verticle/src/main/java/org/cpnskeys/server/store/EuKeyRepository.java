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
     * Assigns {@code key} to its entity: {@link AssignResult.Created} (any previous active key of the same user
     * for the entity becomes {@link KeyState#SUPERSEDED} in the same transaction), {@link AssignResult.Existing}
     * when the entity and request ID were assigned before (an idempotent retry, whatever that key's state is now),
     * or {@link AssignResult.Conflict} when the entity belongs to another user: the user of its latest key, unless
     * that key is {@link KeyState#RELEASED}.
     */
    Future<AssignResult> assign(NewKey key);

    /** The entity's active key, if any. */
    Future<Optional<StoredKey>> findActive(EntityId entityId);

    /** The key assigned for the entity and request ID, whatever its state. */
    Future<Optional<StoredKey>> findByRequest(EntityId entityId, RequestId requestId);

    /**
     * Revokes the entity's active key: it becomes {@link KeyState#REVOKED}; the entity stays with its user, whose
     * next Key Request gets a new key. Returns the revoked key (in its new state), or empty if the entity has no
     * active key. Serialized with {@link #assign} for the same entity, on every server sharing the store.
     */
    Future<Optional<KeyInfo>> revoke(EntityId entityId);

    /**
     * Releases the entity: its latest key, if {@link KeyState#ACTIVE} or {@link KeyState#REVOKED}, becomes
     * {@link KeyState#RELEASED}, and any user may claim the entity afterwards. Returns the released key (in its
     * new state), or empty if the entity belongs to nobody. Serialized with {@link #assign} like {@link #revoke}.
     */
    Future<Optional<KeyInfo>> release(EntityId entityId);

    /**
     * Up to {@code limit} keys whose seal is not {@code seal}, in store order after position {@code after}
     * ({@code 0}: from the start), whatever their state; with the position to continue from. Walking the pages to
     * the end visits every such key once, also while keys are added or re-sealed meanwhile.
     */
    Future<KeyPage> findNotSealedWith(int seal, long after, int limit);

    /**
     * Applies the changes in one transaction: each row gets its new seal and sealed bytes if it still has the old
     * ones (compare and set), otherwise it is left alone. Returns how many rows changed.
     */
    Future<Integer> replaceSeals(List<SealChange> changes);

    /** Every stored key, oldest first, without key material. */
    Future<List<KeyInfo>> list();

    /** Completes once pending operations finished and the store is closed; later calls fail. Idempotent. */
    Future<Void> close();
}
