package org.cpnskeys.server.store;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.SecretFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * The default EUKey store: one SQLite file in WAL mode with {@code synchronous=FULL}, owner-only.
 *
 * <p><b>Group commit.</b> One dedicated writer thread owns the connection. It drains the queue of pending
 * operations (up to {@value #MAX_BATCH} at a time), runs the whole batch in one transaction, each operation
 * inside its own savepoint (a failing operation is rolled back alone and fails only its own future), commits
 * once (one fsync for the batch), and only then completes every caller's future on the Vert.x context the
 * caller called from. Reads go through the same thread, so they see every acknowledged write.
 */
public final class SqliteEuKeyRepository implements EuKeyRepository {
    /** Most operations run in one transaction. */
    public static final int MAX_BATCH = 1024;

    private static final Logger LOG = LoggerFactory.getLogger(SqliteEuKeyRepository.class);

    /** Schema migrations; migration {@code i + 1} is {@code MIGRATIONS.get(i)}. Append only, never edit. */
    private static final List<List<String>> MIGRATIONS = List.of(List.of(
            "CREATE TABLE eukey ("
                    + " id INTEGER PRIMARY KEY,"
                    + " entity_id TEXT NOT NULL,"
                    + " user_id TEXT NOT NULL,"
                    + " gateway_id TEXT NOT NULL,"
                    + " request_id TEXT NOT NULL,"
                    + " key_id TEXT NOT NULL UNIQUE,"
                    + " proxy INTEGER NOT NULL CHECK (proxy IN (0, 1)),"
                    + " sealed_key BLOB NOT NULL,"
                    + " created_at TEXT NOT NULL,"
                    + " state TEXT NOT NULL CHECK (state IN ('ACTIVE', 'SUPERSEDED')),"
                    + " UNIQUE (entity_id, request_id))",
            "CREATE UNIQUE INDEX eukey_one_active_per_entity ON eukey (entity_id) WHERE state = 'ACTIVE'"),
            // 2: the states REVOKED and RELEASED (SQLite cannot alter a CHECK constraint: the table is rebuilt)
            List.of("CREATE TABLE eukey_v2 ("
                    + " id INTEGER PRIMARY KEY,"
                    + " entity_id TEXT NOT NULL,"
                    + " user_id TEXT NOT NULL,"
                    + " gateway_id TEXT NOT NULL,"
                    + " request_id TEXT NOT NULL,"
                    + " key_id TEXT NOT NULL UNIQUE,"
                    + " proxy INTEGER NOT NULL CHECK (proxy IN (0, 1)),"
                    + " sealed_key BLOB NOT NULL,"
                    + " created_at TEXT NOT NULL,"
                    + " state TEXT NOT NULL CHECK (state IN ('ACTIVE', 'SUPERSEDED', 'REVOKED', 'RELEASED')),"
                    + " UNIQUE (entity_id, request_id))",
                    "INSERT INTO eukey_v2 (id, entity_id, user_id, gateway_id, request_id, key_id, proxy, sealed_key,"
                            + " created_at, state) SELECT id, entity_id, user_id, gateway_id, request_id, key_id, proxy,"
                            + " sealed_key, created_at, state FROM eukey",
                    "DROP TABLE eukey",
                    "ALTER TABLE eukey_v2 RENAME TO eukey",
                    "CREATE UNIQUE INDEX eukey_one_active_per_entity ON eukey (entity_id) WHERE state = 'ACTIVE'"),
            // 3: an entity's latest key by index (without it every assign sorted all of the entity's past keys)
            List.of("CREATE INDEX eukey_entity_latest ON eukey (entity_id, id)"),
            // single use of digest answers and the failure counts ([H] 4b, 4i): the nonce's expiry leads the key, so
            // the purge takes a range of it; one B-tree (WITHOUT ROWID), as the pairs are only ever looked up by key
            List.of("CREATE TABLE digest_use (nonce_expiry INTEGER NOT NULL, nonce BLOB NOT NULL, nc INTEGER NOT NULL,"
                            + " PRIMARY KEY (nonce_expiry, nonce, nc)) WITHOUT ROWID",
                    "CREATE TABLE auth_failure (user_id TEXT NOT NULL, gateway_id TEXT NOT NULL,"
                            + " failures INTEGER NOT NULL, window_end INTEGER NOT NULL, last_failure INTEGER NOT NULL,"
                            + " PRIMARY KEY (user_id, gateway_id))"),
            // next: which seal each key carries (keys stored before it carry seal 1; see org.cpnskeys.server.seal)
            List.of("ALTER TABLE eukey ADD COLUMN seal INTEGER NOT NULL DEFAULT 1"));

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

    private final Vertx vertx;
    private final Path file;
    private final Connection connection;
    private final PreparedStatement savepoint;
    private final PreparedStatement release;
    private final PreparedStatement rollbackTo;
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
    private final PreparedStatement use;
    private final PreparedStatement failureRow;
    private final PreparedStatement putFailure;
    private final PreparedStatement forgetPair;
    private final PreparedStatement purgeUses;
    private final PreparedStatement purgeFailures;
    private final BlockingQueue<Op<?>> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private final AtomicLong commits = new AtomicLong();
    private final AtomicLong operations = new AtomicLong();
    private final Object lock = new Object();
    private boolean closed;
    private Op<Void> stop;

    private SqliteEuKeyRepository(final Vertx vertx, final Path file, final Connection connection)
            throws SQLException {
        this.vertx = vertx;
        this.file = file;
        this.connection = connection;
        this.savepoint = connection.prepareStatement("SAVEPOINT op");
        this.release = connection.prepareStatement("RELEASE op");
        this.rollbackTo = connection.prepareStatement("ROLLBACK TO op");
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
        this.use = connection.prepareStatement("INSERT OR IGNORE INTO digest_use (nonce_expiry, nonce, nc) VALUES (?, ?, ?)");
        this.failureRow = connection.prepareStatement(
                "SELECT failures, window_end, last_failure FROM auth_failure WHERE user_id = ? AND gateway_id = ?");
        this.putFailure = connection.prepareStatement("INSERT OR REPLACE INTO auth_failure (user_id, gateway_id,"
                + " failures, window_end, last_failure) VALUES (?, ?, ?, ?, ?)");
        this.forgetPair = connection.prepareStatement("DELETE FROM auth_failure WHERE user_id = ? AND gateway_id = ?");
        this.purgeUses = connection.prepareStatement("DELETE FROM digest_use WHERE nonce_expiry < ?");
        this.purgeFailures = connection.prepareStatement("DELETE FROM auth_failure WHERE window_end < ?");
        this.writer = new Thread(this::runWriter, "cpns-eukey-store-writer");
        this.writer.setDaemon(true);
    }

    /**
     * Opens (creating if needed) the store in {@code dbFile}: the parent directory is created owner-only, the
     * file is owner-only, and pending schema migrations are applied. The blocking work runs on a worker.
     */
    public static Future<SqliteEuKeyRepository> open(final Vertx vertx, final Path dbFile) {
        final Path file = dbFile.toAbsolutePath();
        return vertx.executeBlocking(() -> {
            final Connection connection = connect(file);
            try {
                migrate(connection);
                final SqliteEuKeyRepository repository = new SqliteEuKeyRepository(vertx, file, connection);
                repository.writer.start();
                LOG.info("EUKey store opened: {}", file);
                return repository;
            } catch (SQLException | RuntimeException e) {
                closeQuietly(connection);
                throw e;
            }
        }, false);
    }

    /** The schema version this code migrates a store to: the number of migrations. */
    static int schemaVersion() {
        return MIGRATIONS.size();
    }

    /** The database file. */
    public Path file() {
        return file;
    }

    /** How many transactions the writer committed so far (one per batch). */
    public long commitCount() {
        return commits.get();
    }

    /** How many operations the writer ran so far. */
    public long operationCount() {
        return operations.get();
    }

    @Override
    public Future<AssignResult> assign(final NewKey key, final DigestUse digestUse, final Admission admission) {
        return submit(c -> assignInTransaction(key, digestUse, admission));
    }

    @Override
    public Future<FailureStanding> recordFailure(final UserId user, final GatewayId gateway, final Instant now,
            final Duration window) {
        return submit(c -> new FailureStanding(countFailure(user.value(), gateway.value(), now, window),
                countFailure(user.value(), "", now, window), countFailure("", gateway.value(), now, window)));
    }

    @Override
    public Future<FailureStanding> failures(final UserId user, final GatewayId gateway) {
        return submit(c -> standing(user, gateway));
    }

    @Override
    public Future<Integer> purge(final Instant cutoff) {
        return submit(c -> {
            purgeUses.setLong(1, cutoff.getEpochSecond());
            purgeFailures.setLong(1, cutoff.toEpochMilli());
            return purgeUses.executeUpdate() + purgeFailures.executeUpdate();
        });
    }

    /** One more failure in the row's window (a new window once it ended); the writer thread runs one at a time. */
    private FailureCount countFailure(final String user, final String gateway, final Instant now, final Duration window)
            throws SQLException {
        final FailureCount old = failureRow(user, gateway);
        final FailureCount next = now.isBefore(old.windowEnd())
                ? new FailureCount(old.failures() + 1, old.windowEnd(), now)
                : new FailureCount(1, now.plus(window), now);
        putFailure.setString(1, user);
        putFailure.setString(2, gateway);
        putFailure.setInt(3, next.failures());
        putFailure.setLong(4, next.windowEnd().toEpochMilli());
        putFailure.setLong(5, next.lastFailure().toEpochMilli());
        putFailure.executeUpdate();
        return next;
    }

    /** The pair's, the user's (gateway '') and the gateway's (user '') rows: identifiers are never empty. */
    private FailureStanding standing(final UserId user, final GatewayId gateway) throws SQLException {
        return new FailureStanding(failureRow(user.value(), gateway.value()), failureRow(user.value(), ""),
                failureRow("", gateway.value()));
    }

    private FailureCount failureRow(final String user, final String gateway) throws SQLException {
        failureRow.setString(1, user);
        failureRow.setString(2, gateway);
        try (ResultSet rs = failureRow.executeQuery()) {
            return rs.next() ? new FailureCount(rs.getInt(1), Instant.ofEpochMilli(rs.getLong(2)),
                    Instant.ofEpochMilli(rs.getLong(3))) : FailureCount.NONE;
        }
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
        synchronized (lock) {
            if (!closed) {
                closed = true;
                stop = new Op<>(null, vertx.getOrCreateContext());
                queue.add(stop);
            }
            return stop.promise.future();
        }
    }

    // ---- the writer thread ------------------------------------------------------------------------------

    private <T> Future<T> submit(final Work<T> work) {
        final Op<T> op = new Op<>(work, vertx.getOrCreateContext());
        synchronized (lock) {
            if (closed) {
                return Future.failedFuture(new IllegalStateException("EUKey store is closed"));
            }
            queue.add(op);
        }
        return op.promise.future();
    }

    private void runWriter() {
        final List<Op<?>> batch = new ArrayList<>(MAX_BATCH);
        boolean running = true;
        while (running) {
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                continue; // nobody interrupts this thread but close(); keep draining until the stop marker
            }
            queue.drainTo(batch, MAX_BATCH - 1);
            Op<?> stopMarker = null;
            final int last = batch.size() - 1;
            if (batch.get(last).work == null) {
                stopMarker = batch.remove(last); // close() enqueues it last, and nothing is queued after it
            }
            try {
                if (!batch.isEmpty()) {
                    runBatch(batch);
                }
            } catch (RuntimeException e) {
                LOG.error("EUKey store writer: unexpected failure, {} operations may be unanswered", batch.size(), e);
            }
            batch.clear();
            if (stopMarker != null) {
                running = false;
                closeQuietly(connection);
                LOG.info("EUKey store closed: {} ({} commits, {} operations)", file, commits.get(), operations.get());
                stopMarker.deliver();
            }
        }
    }

    private void runBatch(final List<Op<?>> batch) {
        for (final Op<?> op : batch) {
            op.runInSavepoint();
        }
        try {
            connection.commit();
            commits.incrementAndGet();
        } catch (SQLException e) {
            LOG.error("EUKey store commit failed, {} operations refused: {}", batch.size(), e.getMessage());
            try {
                connection.rollback();
            } catch (SQLException ignored) {
                // the commit failure is what is reported
            }
            for (final Op<?> op : batch) {
                op.failIfSucceeded(new IllegalStateException("EUKey store commit failed: " + e.getMessage(), e));
            }
        }
        operations.addAndGet(batch.size());
        for (final Op<?> op : batch) {
            op.deliver();
        }
    }

    private AssignResult assignInTransaction(final NewKey key, final DigestUse digestUse, final Admission admission)
            throws SQLException {
        use.setLong(1, digestUse.nonceExpiry().getEpochSecond());
        use.setBytes(2, digestUse.nonce());
        use.setLong(3, digestUse.nc());
        if (use.executeUpdate() == 0) {
            return new AssignResult.Replayed();
        }
        final FailureStanding failures = standing(key.userId(), key.gatewayId());
        final Optional<Duration> refused = admission.refusal(failures);
        if (refused.isPresent()) {
            return new AssignResult.Refused(refused.get());
        }
        if (failures.pair().failures() > 0) {
            forgetPair.setString(1, key.userId().value());
            forgetPair.setString(2, key.gatewayId().value());
            forgetPair.executeUpdate();
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

    // ---- opening ----------------------------------------------------------------------------------------

    private static Connection connect(final Path file) throws IOException, SQLException {
        SecretFiles.ownerOnlyDirectory(file.getParent());
        if (!Files.exists(file)) {
            try {
                SecretFiles.writeNew(file, new byte[0]); // an empty file is an empty database; owner-only from birth
            } catch (FileAlreadyExistsException raced) {
                // created by someone else meanwhile: fine
            }
        }
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
        final SQLiteConfig config = new SQLiteConfig();
        // no "SELECT last_insert_rowid()" after every INSERT: nothing here reads generated keys
        config.setGetGeneratedKeys(false);
        final Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file, config.toProperties());
        try (Statement s = connection.createStatement()) {
            s.execute("PRAGMA busy_timeout = 10000");
            try (ResultSet rs = s.executeQuery("PRAGMA journal_mode = WAL")) {
                if (!rs.next() || !"wal".equalsIgnoreCase(rs.getString(1))) {
                    throw new SQLException("SQLite refused WAL journal mode for " + file);
                }
            }
            s.execute("PRAGMA synchronous = FULL");
            // 64 MiB of page cache (SQLite's default is 2 MiB): the indexes on entity and request IDs (chosen by the
            // PNEs, random in a real fleet) touch a random page per insert, which would otherwise be read back from the
            // file again and again (Key IDs grow with time: KeyIds)
            s.execute("PRAGMA cache_size = -65536");
            // checkpoint every ~40 MB of WAL instead of SQLite's ~4 MB: a page of the random-ID indexes changed many
            // times between two checkpoints is written back to the file once (every commit still syncs the WAL)
            s.execute("PRAGMA wal_autocheckpoint = 10000");
            s.execute("PRAGMA foreign_keys = ON");
            connection.setAutoCommit(false);
            return connection;
        } catch (SQLException | RuntimeException e) {
            closeQuietly(connection);
            throw e;
        }
    }

    private static void migrate(final Connection connection) throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
            connection.commit();
            final int current;
            try (ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_version")) {
                rs.next();
                current = rs.getInt(1);
            }
            if (current > MIGRATIONS.size()) {
                throw new SQLException("EUKey store schema version " + current + " is newer than this server supports ("
                        + MIGRATIONS.size() + ")");
            }
            for (int version = current + 1; version <= MIGRATIONS.size(); version++) {
                for (final String sql : MIGRATIONS.get(version - 1)) {
                    s.execute(sql);
                }
                try (PreparedStatement p = connection.prepareStatement(
                        "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)")) {
                    p.setInt(1, version);
                    p.setString(2, Instant.now().toString());
                    p.executeUpdate();
                }
                connection.commit();
                LOG.info("EUKey store schema migrated to version {}", version);
            }
        } catch (SQLException e) {
            try {
                connection.rollback();
            } catch (SQLException ignored) {
                // report the migration failure
            }
            throw e;
        }
    }

    private static void closeQuietly(final Connection connection) {
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.warn("closing the EUKey store connection failed: {}", e.getMessage());
        }
    }

    // ---- operations -------------------------------------------------------------------------------------

    @FunctionalInterface
    private interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** One queued operation; {@code work == null} marks the stop request of {@link #close()}. */
    private final class Op<T> {
        private final Work<T> work;
        private final Context context;
        private final Promise<T> promise = Promise.promise();
        private T result;
        private Throwable failure;

        Op(final Work<T> work, final Context context) {
            this.work = work;
            this.context = context;
        }

        void runInSavepoint() {
            try {
                savepoint.execute();
            } catch (SQLException e) {
                failure = new IllegalStateException("EUKey store: " + e.getMessage(), e);
                return;
            }
            try {
                result = work.run(connection);
                release.execute();
            } catch (SQLException | RuntimeException e) {
                failure = e instanceof SQLException ? new IllegalStateException("EUKey store: " + e.getMessage(), e) : e;
                result = null;
                try {
                    rollbackTo.execute();
                    release.execute();
                } catch (SQLException ignored) {
                    // the operation's own failure is what is reported
                }
            }
        }

        void failIfSucceeded(final Throwable t) {
            if (failure == null) {
                failure = t;
                result = null;
            }
        }

        void deliver() {
            final T r = result;
            final Throwable f = failure;
            context.runOnContext(v -> {
                if (f != null) {
                    promise.fail(f);
                } else {
                    promise.complete(r);
                }
            });
        }
    }
}
