package org.cpnskeys.server.store;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The EUKey store for clusters: PostgreSQL through the reactive {@code vertx-pg-client}, shared by every server.
 *
 * <p><b>Concurrency.</b> An assignment runs in a READ COMMITTED transaction that holds a transaction advisory
 * lock on the entity ({@code pg_advisory_xact_lock(hashtextextended(entity_id, 0))}) while it decides: every
 * assign for one entity, from any server of the cluster, runs one after the other, so the check "who owns it, was
 * this request seen" and the write that follows see the same state. Two constraints back this up in the schema: a
 * partial unique index allows one ACTIVE key per entity, and (entity, request ID) is unique; were the lock ever
 * bypassed, a racing second writer would fail rather than store a second active key. {@link #revoke} and
 * {@link #release} take the same lock.
 *
 * <p><b>Group commit.</b> Concurrent assignments share one transaction and one round trip: the server-side
 * function {@code cpns_assign} decides and writes each, after one statement took all their entities' locks in one
 * order ({@link PgAssignBatcher}; the functions are schema migration 6).
 *
 * <p><b>Single use and failures.</b> The assignment records the digest answer's (nonce, nc) pair (a primary key:
 * of two servers or two members of one batch recording one pair, the second finds it, after the first commits,
 * and the answer is a replay) and decides on the failures of the key's user and gateway in the same transaction
 * as the key. Failures are written, one statement for the three counts, only when one happens. The statements
 * are {@link PgAuthLedger}.
 *
 * <p><b>Durability.</b> A future completes only after PostgreSQL answered the COMMIT; the connections pin
 * {@code synchronous_commit=on}, so that answer comes after the WAL is flushed. Concurrent commits share WAL
 * flushes (PostgreSQL's own group commit).
 *
 * <p><b>Schema.</b> Versioned migrations, applied once however many servers start together: {@link PgSchema}.
 */
public final class PgEuKeyRepository implements EuKeyRepository {
    private static final Logger LOG = LoggerFactory.getLogger(PgEuKeyRepository.class);

    private static final String COLUMNS =
            "entity_id, user_id, gateway_id, request_id, key_id, proxy, sealed_key, seal, created_at, state";
    private static final String INFO_COLUMNS =
            "entity_id, user_id, gateway_id, request_id, key_id, proxy, created_at, state";
    private static final String BY_REQUEST =
            "SELECT " + COLUMNS + " FROM eukey WHERE entity_id = $1 AND request_id = $2";
    private static final String ACTIVE = "SELECT " + COLUMNS + " FROM eukey WHERE entity_id = $1 AND state = 'ACTIVE'";
    /** The statements of {@code cpns_assign_key} that look up by entity (PgSchema, migration 6), as run there. */
    private static final String SUPERSEDE =
            "UPDATE eukey SET state = 'SUPERSEDED' WHERE entity_id = $1 AND state = 'ACTIVE'";
    /** A page of keys to re-seal: a walk along the primary key. */
    static final String NOT_SEALED_WITH =
            "SELECT " + COLUMNS + ", id FROM eukey WHERE seal <> $1 AND id > $2 ORDER BY id LIMIT $3";
    private static final String RESEAL =
            "UPDATE eukey SET seal = $1, sealed_key = $2 WHERE key_id = $3 AND seal = $4 AND sealed_key = $5";
    private static final String LIST = "SELECT " + INFO_COLUMNS + " FROM eukey ORDER BY id";
    private static final String LATEST =
            "SELECT " + COLUMNS + " FROM eukey WHERE entity_id = $1 ORDER BY id DESC LIMIT 1";
    private static final String REVOKE = "UPDATE eukey SET state = 'REVOKED' WHERE entity_id = $1 AND state = 'ACTIVE'"
            + " RETURNING " + INFO_COLUMNS;
    /**
     * The look-ups by entity (and request) of an assignment (as {@code cpns_assign_key} runs them), a revoke or a
     * release: they must stay index scans, or their cost grows with the number of keys stored (tested on the
     * query plans).
     */
    static final List<String> ASSIGN_LOOKUPS = List.of(BY_REQUEST, LATEST, ACTIVE, SUPERSEDE);
    private static final String RELEASE = "UPDATE eukey SET state = 'RELEASED' WHERE id = (SELECT id FROM eukey"
            + " WHERE entity_id = $1 ORDER BY id DESC LIMIT 1) AND state IN ('ACTIVE', 'REVOKED') RETURNING " + INFO_COLUMNS;

    private static final String RELEASE_KEY = "UPDATE eukey SET state = 'RELEASED' WHERE key_id = $1 RETURNING "
            + INFO_COLUMNS;

    /** Most assignments in one transaction (see {@link PgAssignBatcher}). */
    static final int MAX_BATCH = 128;

    private final Pool pool;
    private final PgStoreConfig config;
    private final PgAssignBatcher batcher;
    private final AtomicBoolean closed = new AtomicBoolean();
    private Future<Void> closing;

    private PgEuKeyRepository(final Vertx vertx, final Pool pool, final PgStoreConfig config) {
        this.pool = pool;
        this.config = config;
        this.batcher = new PgAssignBatcher(vertx, pool, MAX_BATCH, config.poolSize(),
                PgEuKeyRepository::storeFailure);
    }

    /** Connects, applies pending schema migrations, and returns the store; fails if the database is unreachable. */
    public static Future<PgEuKeyRepository> open(final Vertx vertx, final PgStoreConfig config) {
        final Pool pool = PgBuilder.pool()
                .with(config.poolOptions())
                .connectingTo(config.connectOptions())
                .using(vertx)
                .build();
        final PgEuKeyRepository repository = new PgEuKeyRepository(vertx, pool, config);
        return pool.withTransaction(PgSchema::migrate)
                .map(version -> {
                    LOG.info("EUKey store opened: {} (schema version {})", config.describe(), version);
                    return repository;
                })
                .recover(e -> pool.close().transform(x -> Future.failedFuture(new IllegalStateException(
                        "EUKey store " + config.describe() + ": " + e.getMessage(), e))));
    }

    /** The most assignments one transaction held so far (for tests of the batching). */
    int largestBatch() {
        return batcher.largestBatch();
    }

    /** Where the store is (no password). */
    public PgStoreConfig config() {
        return config;
    }

    @Override
    public Future<AssignResult> assign(final NewKey key, final DigestUse use, final Admission admission) {
        if (closed.get()) {
            return closedFailure();
        }
        return batcher.assign(key, use, admission);
    }

    @Override
    public Future<FailureStanding> recordFailure(final UserId user, final GatewayId gateway, final Instant now,
            final Duration window) {
        if (closed.get()) {
            return closedFailure();
        }
        return PgAuthLedger.recordFailure(pool, user, gateway, now, window)
                .recover(e -> Future.failedFuture(storeFailure(e)));
    }

    @Override
    public Future<FailureStanding> failures(final UserId user, final GatewayId gateway) {
        if (closed.get()) {
            return closedFailure();
        }
        return PgAuthLedger.standing(pool, user, gateway);
    }

    @Override
    public Future<Integer> purge(final Instant cutoff) {
        if (closed.get()) {
            return closedFailure();
        }
        return PgAuthLedger.purge(pool, cutoff);
    }

    @Override
    public Future<Optional<StoredKey>> findActive(final EntityId entityId) {
        if (closed.get()) {
            return closedFailure();
        }
        return selectActive(pool, entityId);
    }

    @Override
    public Future<Optional<StoredKey>> findByRequest(final EntityId entityId, final RequestId requestId) {
        if (closed.get()) {
            return closedFailure();
        }
        return selectByRequest(pool, entityId, requestId);
    }

    @Override
    public Future<Optional<KeyInfo>> revoke(final EntityId entityId) {
        return changeState(entityId, REVOKE);
    }

    @Override
    public Future<Optional<KeyInfo>> release(final EntityId entityId) {
        return changeState(entityId, RELEASE);
    }

    @Override
    public Future<ReleaseResult> releaseByOwner(final EntityId entityId, final UserId user, final GatewayId gateway,
            final DigestUse use, final Admission admission) {
        if (closed.get()) {
            return closedFailure();
        }
        return pool.withTransaction(c -> {
            final Future<RowSet<Row>> lock = c.preparedQuery(PgAssignBatcher.LOCK_ENTITY)
                    .execute(Tuple.of(entityId.value()));
            final Future<RowSet<Row>> used = PgAuthLedger.use(c, use);
            final Future<FailureStanding> failures = PgAuthLedger.standing(c, user, gateway);
            final Future<Optional<StoredKey>> latest = c.preparedQuery(LATEST).execute(Tuple.of(entityId.value()))
                    .map(PgEuKeyRepository::one);
            return Future.all(lock, used, failures, latest).compose(x -> {
                if (used.result().rowCount() == 0) {
                    return Future.<ReleaseResult>succeededFuture(new ReleaseResult.Replayed());
                }
                final Optional<java.time.Duration> refused = admission.refusal(failures.result());
                if (refused.isPresent()) {
                    return Future.<ReleaseResult>succeededFuture(new ReleaseResult.Refused(refused.get()));
                }
                final Future<RowSet<Row>> forget = failures.result().pair().failures() > 0
                        ? PgAuthLedger.forgetPair(c, user, gateway) : Future.succeededFuture();
                final Optional<StoredKey> key = latest.result()
                        .filter(k -> k.state() == KeyState.ACTIVE || k.state() == KeyState.REVOKED);
                if (key.isEmpty()) {
                    return forget.map(y -> (ReleaseResult) new ReleaseResult.NoKey());
                }
                if (!key.get().userId().equals(user)) {
                    return forget.map(y -> (ReleaseResult) new ReleaseResult.NotOwner());
                }
                final Future<RowSet<Row>> released = c.preparedQuery(RELEASE_KEY)
                        .execute(Tuple.of(key.get().keyId().value()));
                return Future.all(forget, released).map(y -> (ReleaseResult) new ReleaseResult.Released(
                        infos(released.result()).get(0)));
            });
        }).recover(e -> Future.failedFuture(storeFailure(e)));
    }

    /** One state change under the entity's advisory lock, so it never interleaves with an assign's decision. */
    private Future<Optional<KeyInfo>> changeState(final EntityId entityId, final String update) {
        if (closed.get()) {
            return closedFailure();
        }
        return pool.withTransaction(c -> {
            final Future<RowSet<Row>> lock = c.preparedQuery(PgAssignBatcher.LOCK_ENTITY)
                    .execute(Tuple.of(entityId.value()));
            final Future<RowSet<Row>> changed = c.preparedQuery(update).execute(Tuple.of(entityId.value()));
            return Future.all(lock, changed).map(x -> infos(changed.result()).stream().findFirst());
        }).recover(e -> Future.failedFuture(storeFailure(e)));
    }

    @Override
    public Future<KeyPage> findNotSealedWith(final int seal, final long after, final int limit) {
        if (closed.get()) {
            return closedFailure();
        }
        return pool.preparedQuery(NOT_SEALED_WITH).execute(Tuple.of(seal, after, limit)).map(rows -> {
            final List<StoredKey> keys = new ArrayList<>(rows.size());
            long next = after;
            for (final Row r : rows) {
                keys.add(key(r));
                next = r.getLong(10);
            }
            return new KeyPage(keys, next);
        }).recover(e -> Future.failedFuture(storeFailure(e)));
    }

    @Override
    public Future<Integer> replaceSeals(final List<SealChange> changes) {
        if (closed.get()) {
            return closedFailure();
        }
        if (changes.isEmpty()) {
            return Future.succeededFuture(0);
        }
        final List<Tuple> batch = new ArrayList<>(changes.size());
        for (final SealChange c : changes) {
            batch.add(Tuple.of(c.toSeal(), Buffer.buffer(c.to()), c.keyId().value(), c.fromSeal(),
                    Buffer.buffer(c.from())));
        }
        return pool.withTransaction(c -> c.preparedQuery(RESEAL).executeBatch(batch).map(rows -> {
            int changed = 0;
            for (RowSet<Row> r = rows; r != null; r = r.next()) {
                changed += r.rowCount();
            }
            return changed;
        })).recover(e -> Future.failedFuture(storeFailure(e)));
    }

    @Override
    public Future<Void> storeConsent(final EntityId entityId, final RequestId requestId, final String receipt) {
        if (closed.get()) {
            return closedFailure();
        }
        return pool.preparedQuery("INSERT INTO consent_receipt (entity_id, request_id, receipt) VALUES ($1, $2, $3)"
                + " ON CONFLICT DO NOTHING").execute(Tuple.of(entityId.value(), requestId.value(), receipt))
                .<Void>mapEmpty().recover(e -> Future.failedFuture(storeFailure(e)));
    }

    @Override
    public Future<java.util.Map<RequestId, String>> consents(final EntityId entityId) {
        if (closed.get()) {
            return closedFailure();
        }
        return pool.preparedQuery("SELECT request_id, receipt FROM consent_receipt WHERE entity_id = $1"
                + " ORDER BY request_id").execute(Tuple.of(entityId.value())).map(rows -> {
                    final java.util.Map<RequestId, String> out = new java.util.LinkedHashMap<>();
                    rows.forEach(r -> out.put(RequestId.of(r.getString(0)), r.getString(1)));
                    return out;
                });
    }

    @Override
    public Future<Void> advanceAuditHead(final AuditHead head) {
        if (closed.get()) {
            return closedFailure();
        }
        return pool.preparedQuery("INSERT INTO audit_head (log, lines, hash) VALUES ($1, $2, $3) ON CONFLICT (log)"
                + " DO UPDATE SET lines = excluded.lines, hash = excluded.hash WHERE excluded.lines > audit_head.lines")
                .execute(Tuple.of(head.log(), head.lines(), head.hash())).<Void>mapEmpty()
                .recover(e -> Future.failedFuture(storeFailure(e)));
    }

    @Override
    public Future<Optional<AuditHead>> auditHead(final String log) {
        if (closed.get()) {
            return closedFailure();
        }
        return pool.preparedQuery("SELECT lines, hash FROM audit_head WHERE log = $1").execute(Tuple.of(log))
                .map(rows -> rows.size() == 0 ? Optional.<AuditHead>empty() : Optional.of(new AuditHead(log,
                        rows.iterator().next().getLong(0), rows.iterator().next().getString(1))));
    }

    @Override
    public Future<List<KeyInfo>> list() {
        if (closed.get()) {
            return closedFailure();
        }
        return pool.query(LIST).execute().map(PgEuKeyRepository::infos);
    }

    private static List<KeyInfo> infos(final RowSet<Row> rows) {
        final List<KeyInfo> out = new ArrayList<>(rows.size());
        for (final Row r : rows) {
            out.add(new KeyInfo(EntityId.of(r.getString(0)), UserId.of(r.getString(1)),
                    GatewayId.of(r.getString(2)), RequestId.of(r.getString(3)), KeyId.of(r.getString(4)),
                    r.getBoolean(5), instant(r, 6), KeyState.valueOf(r.getString(7))));
        }
        return out;
    }

    @Override
    public synchronized Future<Void> close() {
        if (closing == null) {
            closed.set(true);
            closing = batcher.idle().compose(v -> pool.close()).onSuccess(v -> LOG.info("EUKey store closed: {}", config.describe()));
        }
        return closing;
    }

    private static Future<Optional<StoredKey>> selectByRequest(final SqlClient c, final EntityId entityId,
            final RequestId requestId) {
        return c.preparedQuery(BY_REQUEST).execute(Tuple.of(entityId.value(), requestId.value()))
                .map(PgEuKeyRepository::one);
    }

    private static Future<Optional<StoredKey>> selectActive(final SqlClient c, final EntityId entityId) {
        return c.preparedQuery(ACTIVE).execute(Tuple.of(entityId.value())).map(PgEuKeyRepository::one);
    }

    private static Optional<StoredKey> one(final RowSet<Row> rows) {
        if (rows.size() == 0) {
            return Optional.empty();
        }
        return Optional.of(key(rows.iterator().next()));
    }

    /** The key of a row whose first columns are {@link #COLUMNS}. */
    private static StoredKey key(final Row r) {
        return new StoredKey(EntityId.of(r.getString(0)), UserId.of(r.getString(1)),
                GatewayId.of(r.getString(2)), RequestId.of(r.getString(3)), KeyId.of(r.getString(4)),
                r.getBoolean(5), r.getBuffer(6).getBytes(), r.getInteger(7), instant(r, 8),
                KeyState.valueOf(r.getString(9)));
    }

    private static Instant instant(final Row r, final int column) {
        final OffsetDateTime t = r.getOffsetDateTime(column);
        return t.toInstant();
    }

    /** A failure as callers see it: the database's words, never the key material (parameters are not echoed). */
    private static Throwable storeFailure(final Throwable e) {
        if (e instanceof PgException) {
            final PgException pg = (PgException) e;
            return new IllegalStateException("EUKey store: " + pg.getErrorMessage() + " (SQLSTATE " + pg.getSqlState()
                    + (pg.getConstraint() == null ? "" : ", constraint " + pg.getConstraint()) + ")", e);
        }
        return e;
    }

    private static <T> Future<T> closedFailure() {
        return Future.failedFuture(new IllegalStateException("EUKey store is closed"));
    }
}
