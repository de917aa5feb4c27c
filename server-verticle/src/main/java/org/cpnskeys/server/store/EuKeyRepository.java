package org.cpnskeys.server.store;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.vertx.core.Future;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;

/**
 * The server's EUKey store. Every implementation runs {@code EuKeyRepositoryContract}. A returned future
 * completes only after the change it reports is durably stored, on the Vert.x context of the caller.
 */
public interface EuKeyRepository {

    /**
     * Assigns {@code key} to its entity, authorised by one use of a digest answer, in one transaction that first
     * records {@code use} and then asks {@code admission} about the failures recorded for the key's user and
     * gateway: {@link AssignResult.Replayed} when the (nonce, nc) pair was used before (nothing else happens);
     * {@link AssignResult.Refused} when the admission refuses (the pair stays used); otherwise the pair's own
     * failures (user through this gateway) are forgotten, and the result is {@link AssignResult.Created} (any
     * previous active key of the same user for the entity becomes {@link KeyState#SUPERSEDED} in the same
     * transaction), {@link AssignResult.Existing} when the entity and request ID were assigned before (an
     * idempotent retry with a new nonce count, whatever that key's state is now), or {@link AssignResult.Conflict}
     * when the entity belongs to another user: the user of its latest key, unless that key is
     * {@link KeyState#RELEASED}.
     */
    Future<AssignResult> assign(NewKey key, DigestUse use, Admission admission);

    /**
     * {@link #assign(NewKey, DigestUse, Admission)}, and the request's consent receipt (its wire form, already
     * verified) stored with the key when the request holds one of its user ({@link AssignResult#isKeyOf}); a receipt
     * already stored for the request is kept. A store that can does both in the one transaction (SQLite: the key is
     * never stored without its receipt); by default the receipt is stored once the assignment committed.
     */
    default Future<AssignResult> assign(final NewKey key, final DigestUse use, final Admission admission,
            final java.util.Optional<String> receipt) {
        if (receipt.isEmpty()) {
            return assign(key, use, admission);
        }
        return assign(key, use, admission).compose(result -> result.isKeyOf(key.userId())
                ? storeConsent(key.entityId(), key.requestId(), receipt.get()).map(result)
                : Future.succeededFuture(result));
    }

    /**
     * Counts one failed authentication of {@code user} through {@code gateway}, for the pair, for the user and
     * for the gateway, each in its window (a failure at or after a window's end begins a new one, of
     * {@code window}); returns the standing after it. Nothing is written on a success without failures.
     */
    Future<FailureStanding> recordFailure(UserId user, GatewayId gateway, Instant now, Duration window);

    /** The failures recorded for {@code user} through {@code gateway}, whether their windows ended or not. */
    Future<FailureStanding> failures(UserId user, GatewayId gateway);

    /**
     * Deletes the digest uses of nonces that expired before {@code cutoff} (the nonce check refuses those by
     * itself) and failure windows that ended before it; returns how many records went.
     */
    Future<Integer> purge(Instant cutoff);

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
     * The owner's release ({@code key-release}): in one transaction under the entity's lock, like {@link #release},
     * records the digest answer's {@code use} and asks {@code admission} about the failures of {@code user} through
     * {@code gateway} exactly as {@link #assign} does (one ledger for both: {@link ReleaseResult.Replayed},
     * {@link ReleaseResult.Refused}, and a success forgets the pair's failures); then releases the entity's latest
     * key if it is {@link KeyState#ACTIVE} or {@link KeyState#REVOKED} and belongs to {@code user}
     * ({@link ReleaseResult.Released}), or answers {@link ReleaseResult.NotOwner} (another user's) or
     * {@link ReleaseResult.NoKey}. Durable before the future completes.
     */
    Future<ReleaseResult> releaseByOwner(EntityId entityId, UserId user, GatewayId gateway, DigestUse use,
            Admission admission);

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

    /**
     * Stores the consent receipt (its wire form, already verified by the caller) of the entity's Key Request
     * {@code requestId}; a receipt already stored for that request is kept (a retry carries the same consent).
     */
    Future<Void> storeConsent(EntityId entityId, RequestId requestId, String receipt);

    /** The consent receipts stored for the entity's Key Requests, by request ID. */
    Future<Map<RequestId, String>> consents(EntityId entityId);

    /**
     * Moves the audit log's head forward to {@code head}: a head that counts no more lines than the stored one
     * changes nothing (so heads saved out of order never move it back).
     */
    Future<Void> advanceAuditHead(AuditHead head);

    /** The head of the audit log of ID {@code log}, if one was ever stored. */
    Future<Optional<AuditHead>> auditHead(String log);

    /** Every stored key, oldest first, without key material. */
    Future<List<KeyInfo>> list();

    /** Completes once pending operations finished and the store is closed; later calls fail. Idempotent. */
    Future<Void> close();
}
