package org.cpnskeys.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The schema of the SQLite EUKey store: its versioned migrations in {@code schema_version}, applied by
 * {@link SqliteEuKeyRepository#open} on a worker before the writer thread starts.
 */
final class SqliteSchema {
    /** Logs as the store it belongs to. */
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
            List.of("ALTER TABLE eukey ADD COLUMN seal INTEGER NOT NULL DEFAULT 1"),
            // 6 ([L] 3): the gateways' consent receipts, by Key Request, and the head of the hash-chained audit log
            List.of("CREATE TABLE consent_receipt (entity_id TEXT NOT NULL, request_id TEXT NOT NULL,"
                            + " receipt TEXT NOT NULL, PRIMARY KEY (entity_id, request_id)) WITHOUT ROWID",
                    "CREATE TABLE audit_head (log TEXT PRIMARY KEY, lines INTEGER NOT NULL,"
                            + " hash TEXT NOT NULL)"));

    private SqliteSchema() {
    }

    /** The schema version this code migrates a store to: the number of migrations. */
    static int version() {
        return MIGRATIONS.size();
    }

    /** Applies the pending migrations, each in its own transaction; fails on a schema newer than this code. */
    static void migrate(final Connection connection) throws SQLException {
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
}
