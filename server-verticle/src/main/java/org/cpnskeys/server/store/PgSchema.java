package org.cpnskeys.server.store;

import java.util.List;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The schema of the PostgreSQL EUKey store.
 *
 * <p><b>Schema.</b> Versioned migrations in {@code schema_version}, applied in one transaction under a global
 * advisory lock, so servers starting together against a new database migrate it once.
 */
final class PgSchema {
    /** Logs as the store it belongs to. */
    private static final Logger LOG = LoggerFactory.getLogger(PgEuKeyRepository.class);

    /** The advisory lock key serializing schema migrations across servers ("CPNSMIGR" in ASCII). */
    static final long MIGRATION_LOCK = 0x43504E534D494752L;

    /** Schema migrations; migration {@code i + 1} is {@code MIGRATIONS.get(i)}. Append only, never edit. */
    private static final List<List<String>> MIGRATIONS = List.of(List.of(
            "CREATE TABLE eukey ("
                    + " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                    + " entity_id TEXT NOT NULL,"
                    + " user_id TEXT NOT NULL,"
                    + " gateway_id TEXT NOT NULL,"
                    + " request_id TEXT NOT NULL,"
                    + " key_id TEXT NOT NULL CONSTRAINT eukey_key_id_unique UNIQUE,"
                    + " proxy BOOLEAN NOT NULL,"
                    + " sealed_key BYTEA NOT NULL,"
                    + " created_at TIMESTAMPTZ NOT NULL,"
                    + " state TEXT NOT NULL CHECK (state IN ('ACTIVE', 'SUPERSEDED')),"
                    + " CONSTRAINT eukey_entity_request_unique UNIQUE (entity_id, request_id))",
            "CREATE UNIQUE INDEX eukey_one_active_per_entity ON eukey (entity_id) WHERE state = 'ACTIVE'"),
            // 2: the states REVOKED and RELEASED
            List.of("ALTER TABLE eukey DROP CONSTRAINT eukey_state_check",
                    "ALTER TABLE eukey ADD CONSTRAINT eukey_state_check"
                            + " CHECK (state IN ('ACTIVE', 'SUPERSEDED', 'REVOKED', 'RELEASED'))"),
            // 3: an entity's latest key by index (without it every assign sorted all of the entity's past keys)
            List.of("CREATE INDEX eukey_entity_latest ON eukey (entity_id, id)"),
            // single use of digest answers and the failure counts, in the store rather than the cluster ([H] 4b, 4e,
            // 4i): the nonce's expiry leads the key, so the purge takes a range of it
            List.of("CREATE TABLE digest_use (nonce_expiry BIGINT NOT NULL, nonce BYTEA NOT NULL, nc BIGINT NOT NULL,"
                            + " PRIMARY KEY (nonce_expiry, nonce, nc))",
                    "CREATE TABLE auth_failure (user_id TEXT NOT NULL, gateway_id TEXT NOT NULL,"
                            + " failures INTEGER NOT NULL, window_end BIGINT NOT NULL, last_failure BIGINT NOT NULL,"
                            + " PRIMARY KEY (user_id, gateway_id))"),
            // next: which seal each key carries (keys stored before it carry seal 1; see org.cpnskeys.server.seal).
            // No default afterwards: a server too old to know seals fails to insert rather than store an unbound key
            List.of("ALTER TABLE eukey ADD COLUMN seal INTEGER NOT NULL DEFAULT 1",
                    "ALTER TABLE eukey ALTER COLUMN seal DROP DEFAULT"));

    private PgSchema() {
    }

    /** The schema version this server writes: the number of migrations. */
    static int version() {
        return MIGRATIONS.size();
    }

    /** Applies the pending migrations in the caller's transaction; completes with the schema version. */
    static Future<Integer> migrate(final SqlConnection c) {
        return c.preparedQuery("SELECT pg_advisory_xact_lock($1)").execute(Tuple.of(MIGRATION_LOCK))
                .compose(x -> c.query("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                        + " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())").execute())
                .compose(x -> c.query("SELECT COALESCE(MAX(version), 0) FROM schema_version").execute())
                .compose(rows -> {
                    final int current = rows.iterator().next().getInteger(0);
                    if (current > MIGRATIONS.size()) {
                        return Future.failedFuture(new IllegalStateException("EUKey store schema version " + current
                                + " is newer than this server supports (" + MIGRATIONS.size() + ")"));
                    }
                    return applyFrom(c, current + 1);
                });
    }

    private static Future<Integer> applyFrom(final SqlConnection c, final int version) {
        if (version > MIGRATIONS.size()) {
            return Future.succeededFuture(MIGRATIONS.size());
        }
        Future<?> step = Future.succeededFuture();
        for (final String sql : MIGRATIONS.get(version - 1)) {
            step = step.compose(x -> c.query(sql).execute());
        }
        return step.compose(x -> c.preparedQuery("INSERT INTO schema_version (version) VALUES ($1)")
                        .execute(Tuple.of(version)))
                .compose(x -> {
                    LOG.info("EUKey store schema migrated to version {}", version);
                    return applyFrom(c, version + 1);
                });
    }
}
