package org.cpnskeys.server.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default EUKey store: one SQLite file in WAL mode with {@code synchronous=FULL}, owner-only.
 *
 * <p><b>Group commit.</b> One dedicated writer thread owns the connection. It drains the queue of pending
 * operations (up to {@value #MAX_BATCH} at a time), runs the whole batch in one transaction, each operation
 * inside its own savepoint (a failing operation is rolled back alone and fails only its own future), commits
 * once (one fsync for the batch), and only then completes every caller's future on the Vert.x context the
 * caller called from. Reads go through the same thread, so they see every acknowledged write.
 *
 * <p>The writer thread is {@link SqliteWriter}, the connection's settings {@link SqliteConnections}, the schema
 * migrations {@link SqliteSchema}, the single use of digest answers with the failure counts
 * {@link SqliteAuthLedger}, and the consent receipts with the audit log's head {@link SqliteAuditRecords}.
 */
public final class SqliteEuKeyRepository implements EuKeyRepository {
    /** Most operations run in one transaction. */
    public static final int MAX_BATCH = 1024;

    private static final Logger LOG = LoggerFactory.getLogger(SqliteEuKeyRepository.class);

    private static final String COLUMNS =
            "entity_id, user_id, gateway_id, request_id, key_id, proxy, sealed_key, seal, created_at, state";
    private static final String INFO_COLUMNS =
            "entity_id, user_id, gateway_id, request_id, key_id, proxy, created_at, state";
    private static final String BY_REQUEST = "SELECT " + COLUMNS + " FROM eukey WHERE entity_id = ? AND request_id = ?";
    private static final String ACTIVE = "SELECT " + COLUMNS + " FROM eukey WHERE entity_id = ? AND state = 'ACTIVE'";
    private static final String SUPERSEDE = "UPDATE eukey SET state = 'SUPERSEDED' WHERE entity_id = ? AND state = 'ACTIVE'";
    private static final String LATEST = "SELECT " + COLUMNS + " FROM eukey WHERE entity_id = ? ORDER BY id DESC LIMIT 1";
    /** What an assignment needs of the entity's latest key: its owner and state, not the whole row. */
    private static final String LATEST_OWNER = "SELECT user_id, state FROM eukey WHERE entity_id = ? ORDER BY id DESC LIMIT 1";
    /**
     * The look-ups by entity (and request) of an assignment, a revoke or a release: they must stay index
     * searches, or their cost grows with the number of keys stored (tested on the query plans).
     */
    static final List<String> ASSIGN_LOOKUPS = List.of(BY_REQUEST, LATEST, LATEST_OWNER, ACTIVE, SUPERSEDE);
    /** A page of keys to re-seal: a walk along the primary key. */
    static final String NOT_SEALED_WITH =
            "SELECT " + COLUMNS + ", id FROM eukey WHERE seal <> ? AND id > ? ORDER BY id LIMIT ?";
    private static final String RESEAL =
            "UPDATE eukey SET seal = ?, sealed_key = ? WHERE key_id = ? AND seal = ? AND sealed_key = ?";

    private final Path file;
    private final PreparedStatement byRequest;
    private final PreparedStatement active;
    private final PreparedStatement supersede;
    private final PreparedStatement insert;
    private final PreparedStatement listAll;
    private final PreparedStatement latest;
    private final PreparedStatement latestOwner;
    private final PreparedStatement setState;
    private final PreparedStatement notSealedWith;
    private final PreparedStatement reseal;
    private final SqliteWriter writer;
    private final SqliteAuthLedger ledger;
    private final SqliteAuditRecords audit;

    private SqliteEuKeyRepository(final Vertx vertx, final Path file, final Connection connection)
            throws SQLException {
        this.file = file;
        this.writer = new SqliteWriter(vertx, file, connection);
        this.byRequest = connection.prepareStatement(BY_REQUEST);
        this.active = connection.prepareStatement(ACTIVE);
        this.supersede = connection.prepareStatement(SUPERSEDE);
        this.insert = connection.prepareStatement("INSERT INTO eukey (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        this.listAll = connection.prepareStatement("SELECT " + INFO_COLUMNS + " FROM eukey ORDER BY id");
        this.latest = connection.prepareStatement(LATEST);
        this.latestOwner = connection.prepareStatement(LATEST_OWNER);
        this.setState = connection.prepareStatement("UPDATE eukey SET state = ? WHERE key_id = ?");
        this.notSealedWith = connection.prepareStatement(NOT_SEALED_WITH);
        this.reseal = connection.prepareStatement(RESEAL);
        this.ledger = new SqliteAuthLedger(connection);
        this.audit = new SqliteAuditRecords(connection);
    }

    /**
     * Opens (creating if needed) the store in {@code dbFile}: the parent directory is created owner-only, the
     * file is owner-only, and pending schema migrations are applied. The blocking work runs on a worker.
     */
    public static Future<SqliteEuKeyRepository> open(final Vertx vertx, final Path dbFile) {
        final Path file = dbFile.toAbsolutePath();
        return vertx.executeBlocking(() -> {
            final Connection connection = SqliteConnections.connect(file);
            try {
                SqliteSchema.migrate(connection);
                final SqliteEuKeyRepository repository = new SqliteEuKeyRepository(vertx, file, connection);
                repository.writer.start();
                LOG.info("EUKey store opened: {}", file);
                return repository;
            } catch (SQLException | RuntimeException e) {
                SqliteConnections.closeQuietly(connection);
                throw e;
            }
        }, false);
    }

    /** The schema version this code migrates a store to: the number of migrations. */
    static int schemaVersion() {
        return SqliteSchema.version();
    }

    /** The database file. */
    public Path file() {
        return file;
    }

    /** How many transactions the writer committed so far (one per batch). */
    public long commitCount() {
        return writer.commitCount();
    }

    /** How many operations the writer ran so far. */
    public long operationCount() {
        return writer.operationCount();
    }

    @Override
    public Future<AssignResult> assign(final NewKey key, final DigestUse digestUse, final Admission admission) {
        return submit(c -> assignInTransaction(key, digestUse, admission));
    }

    /** In the assignment's own savepoint: the key and its receipt are stored together or not at all. */
    @Override
    public Future<AssignResult> assign(final NewKey key, final DigestUse digestUse, final Admission admission,
            final Optional<String> receipt) {
        return submit(c -> {
            final AssignResult result = assignInTransaction(key, digestUse, admission);
            if (receipt.isPresent() && result.isKeyOf(key.userId())) {
                audit.storeConsent(key.entityId(), key.requestId(), receipt.get());
            }
            return result;
        });
    }

    @Override
    public Future<FailureStanding> recordFailure(final UserId user, final GatewayId gateway, final Instant now,
            final Duration window) {
        return submit(c -> ledger.recordFailure(user, gateway, now, window));
    }

    @Override
    public Future<FailureStanding> failures(final UserId user, final GatewayId gateway) {
        return submit(c -> ledger.standing(user, gateway));
    }

    @Override
    public Future<Integer> purge(final Instant cutoff) {
        return submit(c -> ledger.purge(cutoff));
    }

    @Override
    public Future<Optional<StoredKey>> findActive(final EntityId entityId) {
        return submit(c -> {
            active.setString(1, entityId.value());
            return Optional.ofNullable(one(active));
        });
    }

    @Override
    public Future<Optional<StoredKey>> findByRequest(final EntityId entityId, final RequestId requestId) {
        return submit(c -> Optional.ofNullable(selectByRequest(entityId, requestId)));
    }

    @Override
    public Future<Optional<KeyInfo>> revoke(final EntityId entityId) {
        return submit(c -> {
            active.setString(1, entityId.value());
            return Optional.ofNullable(one(active)).map(k -> changeState(k, KeyState.REVOKED));
        });
    }

    @Override
    public Future<Optional<KeyInfo>> release(final EntityId entityId) {
        return submit(c -> {
            latest.setString(1, entityId.value());
            return Optional.ofNullable(one(latest)).filter(SqliteEuKeyRepository::owns)
                    .map(k -> changeState(k, KeyState.RELEASED));
        });
    }

    @Override
    public Future<ReleaseResult> releaseByOwner(final EntityId entityId, final UserId user, final GatewayId gateway,
            final DigestUse use, final Admission admission) {
        return submit(c -> {
            final Optional<AssignResult> notAdmitted = ledger.admit(user, gateway, use, admission);
            if (notAdmitted.isPresent()) {
                return notAdmitted.get() instanceof AssignResult.Refused r ? new ReleaseResult.Refused(r.retryAfter())
                        : new ReleaseResult.Replayed();
            }
            latest.setString(1, entityId.value());
            final StoredKey key = one(latest);
            if (key == null || !owns(key)) {
                return new ReleaseResult.NoKey();
            }
            if (!key.userId().equals(user)) {
                return new ReleaseResult.NotOwner();
            }
            return new ReleaseResult.Released(changeState(key, KeyState.RELEASED));
        });
    }

    private KeyInfo changeState(final StoredKey key, final KeyState state) {
        try {
            setState.setString(1, state.name());
            setState.setString(2, key.keyId().value());
            setState.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("EUKey store: " + e.getMessage(), e);
        }
        final KeyInfo i = key.info();
        return new KeyInfo(i.entityId(), i.userId(), i.gatewayId(), i.requestId(), i.keyId(), i.proxy(), i.createdAt(),
                state);
    }

    /** Whether the entity's latest key still binds the entity to its user. */
    private static boolean owns(final StoredKey latestKey) {
        return owns(latestKey.state());
    }

    /** Whether an entity whose latest key is in this state still belongs to that key's user. */
    private static boolean owns(final KeyState latestState) {
        return latestState == KeyState.ACTIVE || latestState == KeyState.REVOKED;
    }

    @Override
    public Future<KeyPage> findNotSealedWith(final int seal, final long after, final int limit) {
        return submit(c -> {
            notSealedWith.setInt(1, seal);
            notSealedWith.setLong(2, after);
            notSealedWith.setInt(3, limit);
            final List<StoredKey> keys = new ArrayList<>();
            long next = after;
            try (ResultSet rs = notSealedWith.executeQuery()) {
                while (rs.next()) {
                    keys.add(row(rs));
                    next = rs.getLong(11);
                }
            }
            return new KeyPage(keys, next);
        });
    }

    @Override
    public Future<Integer> replaceSeals(final List<SealChange> changes) {
        final List<SealChange> all = List.copyOf(changes);
        return submit(c -> {
            int changed = 0;
            for (final SealChange change : all) {
                reseal.setInt(1, change.toSeal());
                reseal.setBytes(2, change.to());
                reseal.setString(3, change.keyId().value());
                reseal.setInt(4, change.fromSeal());
                reseal.setBytes(5, change.from());
                changed += reseal.executeUpdate();
            }
            return changed;
        });
    }

    @Override
    public Future<Void> storeConsent(final EntityId entityId, final RequestId requestId, final String receipt) {
        return submit(c -> {
            audit.storeConsent(entityId, requestId, receipt);
            return null;
        });
    }

    @Override
    public Future<Map<RequestId, String>> consents(final EntityId entityId) {
        return submit(c -> audit.consents(entityId));
    }

    @Override
    public Future<Void> advanceAuditHead(final AuditHead head) {
        return submit(c -> {
            audit.advanceAuditHead(head);
            return null;
        });
    }

    @Override
    public Future<Optional<AuditHead>> auditHead(final String log) {
        return submit(c -> audit.auditHead(log));
    }

    @Override
    public Future<List<KeyInfo>> list() {
        return submit(c -> {
            final List<KeyInfo> out = new ArrayList<>();
            try (ResultSet rs = listAll.executeQuery()) {
                while (rs.next()) {
                    out.add(new KeyInfo(EntityId.of(rs.getString(1)), UserId.of(rs.getString(2)),
                            GatewayId.of(rs.getString(3)), RequestId.of(rs.getString(4)), KeyId.of(rs.getString(5)),
                            rs.getInt(6) != 0, Instant.parse(rs.getString(7)), KeyState.valueOf(rs.getString(8))));
                }
            }
            return out;
        });
    }

    @Override
    public Future<Void> close() {
        return writer.close();
    }

    private <T> Future<T> submit(final SqliteWriter.Work<T> work) {
        return writer.submit(work);
    }

    private AssignResult assignInTransaction(final NewKey key, final DigestUse digestUse, final Admission admission)
            throws SQLException {
        final Optional<AssignResult> notAdmitted = ledger.admit(key, digestUse, admission);
        if (notAdmitted.isPresent()) {
            return notAdmitted.get();
        }
        final StoredKey previous = selectByRequest(key.entityId(), key.requestId());
        if (previous != null) {
            return previous.userId().equals(key.userId()) ? new AssignResult.Existing(previous)
                    : new AssignResult.Conflict();
        }
        latestOwner.setString(1, key.entityId().value());
        final String owner;
        final KeyState state;
        try (ResultSet rs = latestOwner.executeQuery()) {
            owner = rs.next() ? rs.getString(1) : null;
            state = owner == null ? null : KeyState.valueOf(rs.getString(2));
        }
        if (owner != null && owns(state) && !owner.equals(key.userId().value())) {
            return new AssignResult.Conflict();
        }
        if (state == KeyState.ACTIVE) {
            supersede.setString(1, key.entityId().value());
            supersede.executeUpdate();
        }
        insert.setString(1, key.entityId().value());
        insert.setString(2, key.userId().value());
        insert.setString(3, key.gatewayId().value());
        insert.setString(4, key.requestId().value());
        insert.setString(5, key.keyId().value());
        insert.setInt(6, key.proxy() ? 1 : 0);
        insert.setBytes(7, key.sealedKey());
        insert.setInt(8, key.seal());
        insert.setString(9, key.createdAt().toString());
        insert.setString(10, KeyState.ACTIVE.name());
        insert.executeUpdate();
        return new AssignResult.Created(key.stored(KeyState.ACTIVE));
    }

    private StoredKey selectByRequest(final EntityId entityId, final RequestId requestId) throws SQLException {
        byRequest.setString(1, entityId.value());
        byRequest.setString(2, requestId.value());
        return one(byRequest);
    }

    private static StoredKey one(final PreparedStatement query) throws SQLException {
        try (ResultSet rs = query.executeQuery()) {
            return rs.next() ? row(rs) : null;
        }
    }

    /** The key of the current row of a result whose first columns are {@link #COLUMNS}. */
    private static StoredKey row(final ResultSet rs) throws SQLException {
        return new StoredKey(EntityId.of(rs.getString(1)), UserId.of(rs.getString(2)),
                GatewayId.of(rs.getString(3)), RequestId.of(rs.getString(4)), KeyId.of(rs.getString(5)),
                rs.getInt(6) != 0, rs.getBytes(7), rs.getInt(8), Instant.parse(rs.getString(9)),
                KeyState.valueOf(rs.getString(10)));
    }
}
