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

    /**
     * Takes the transaction advisory locks of the entities (the key every writer of an entity locks: see
     * {@link PgEuKeyRepository}), each once, in ascending order of the lock key: two transactions that lock
     * overlapping sets this way never wait for each other in a cycle, whichever servers run them.
     */
    private static final String LOCK_ENTITIES = """
            CREATE FUNCTION cpns_lock_entities(p_entities text[]) RETURNS void LANGUAGE plpgsql AS $f$
            DECLARE
              k bigint;
            BEGIN
              FOR k IN SELECT DISTINCT hashtextextended(e, 0) FROM unnest(p_entities) AS e ORDER BY 1 LOOP
                PERFORM pg_advisory_xact_lock(k);
              END LOOP;
            END $f$""";

    /**
     * The decision and the writes of an admitted assignment, under the entity's lock (the caller holds it): the
     * key of the entity and request ID if there is one (EXISTING for its user, CONFLICT for another); CONFLICT if
     * the entity's latest key binds it to another user (ACTIVE or REVOKED); otherwise the previous ACTIVE key is
     * SUPERSEDED and the new one inserted (CREATED). The o_ columns describe the existing key (EXISTING only).
     */
    private static final String ASSIGN_KEY = """
            CREATE FUNCTION cpns_assign_key(p_entity text, p_user text, p_gateway text, p_request text, p_key_id text,
                p_proxy boolean, p_sealed bytea, p_seal integer, p_created timestamptz,
                OUT o_outcome text, OUT o_user text, OUT o_gateway text, OUT o_key_id text, OUT o_proxy boolean,
                OUT o_sealed bytea, OUT o_seal integer, OUT o_created timestamptz, OUT o_state text)
            LANGUAGE plpgsql AS $f$
            DECLARE
              latest_user text;
              latest_state text;
            BEGIN
              SELECT k.user_id, k.gateway_id, k.key_id, k.proxy, k.sealed_key, k.seal, k.created_at, k.state
                INTO o_user, o_gateway, o_key_id, o_proxy, o_sealed, o_seal, o_created, o_state
                FROM eukey k WHERE k.entity_id = p_entity AND k.request_id = p_request;
              IF FOUND THEN
                IF o_user = p_user THEN
                  o_outcome := 'EXISTING';
                ELSE
                  SELECT 'CONFLICT', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
                    INTO o_outcome, o_user, o_gateway, o_key_id, o_proxy, o_sealed, o_seal, o_created, o_state;
                END IF;
                RETURN;
              END IF;
              SELECT k.user_id, k.state INTO latest_user, latest_state
                FROM eukey k WHERE k.entity_id = p_entity ORDER BY k.id DESC LIMIT 1;
              IF latest_state IN ('ACTIVE', 'REVOKED') AND latest_user <> p_user THEN
                o_outcome := 'CONFLICT';
                RETURN;
              END IF;
              IF latest_state = 'ACTIVE' THEN
                UPDATE eukey SET state = 'SUPERSEDED' WHERE entity_id = p_entity AND state = 'ACTIVE';
              END IF;
              INSERT INTO eukey (entity_id, user_id, gateway_id, request_id, key_id, proxy, sealed_key, seal,
                  created_at, state)
                VALUES (p_entity, p_user, p_gateway, p_request, p_key_id, p_proxy, p_sealed, p_seal, p_created,
                  'ACTIVE');
              o_outcome := 'CREATED';
            END $f$""";

    /**
     * A whole assignment when no failure is recorded for the user through the gateway, the user or the gateway
     * (then there is nothing to forget, and the admission is asked for nothing): the (nonce, nc) pair is recorded
     * (REPLAYED if it was used before), then {@code cpns_assign_key}. When failures are recorded it does nothing
     * and answers ASK: the caller runs the assignment with its admission in a transaction of its own.
     */
    private static final String ASSIGN = """
            CREATE FUNCTION cpns_assign(p_entity text, p_user text, p_gateway text, p_request text, p_key_id text,
                p_proxy boolean, p_sealed bytea, p_seal integer, p_created timestamptz,
                p_nonce_expiry bigint, p_nonce bytea, p_nc bigint,
                OUT o_outcome text, OUT o_user text, OUT o_gateway text, OUT o_key_id text, OUT o_proxy boolean,
                OUT o_sealed bytea, OUT o_seal integer, OUT o_created timestamptz, OUT o_state text)
            LANGUAGE plpgsql AS $f$
            BEGIN
              IF EXISTS (SELECT 1 FROM auth_failure f WHERE (f.user_id, f.gateway_id)
                  IN ((p_user, p_gateway), (p_user, ''), ('', p_gateway))) THEN
                o_outcome := 'ASK';
                RETURN;
              END IF;
              INSERT INTO digest_use (nonce_expiry, nonce, nc) VALUES (p_nonce_expiry, p_nonce, p_nc)
                ON CONFLICT DO NOTHING;
              IF NOT FOUND THEN
                o_outcome := 'REPLAYED';
                RETURN;
              END IF;
              SELECT * INTO o_outcome, o_user, o_gateway, o_key_id, o_proxy, o_sealed, o_seal, o_created, o_state
                FROM cpns_assign_key(p_entity, p_user, p_gateway, p_request, p_key_id, p_proxy, p_sealed, p_seal,
                  p_created);
            END $f$""";

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
                    "ALTER TABLE eukey ALTER COLUMN seal DROP DEFAULT"),
            // 6: an assignment in one statement, for group commit (PgAssignBatcher): the entities' locks in one
            // order, the decision and its writes, and the whole assign unless failures are recorded
            List.of(LOCK_ENTITIES, ASSIGN_KEY, ASSIGN),
            // 7 ([L] 3): the gateways' consent receipts, by Key Request, and the head of the hash-chained audit log
            List.of("CREATE TABLE consent_receipt (entity_id TEXT NOT NULL, request_id TEXT NOT NULL,"
                            + " receipt TEXT NOT NULL, PRIMARY KEY (entity_id, request_id))",
                    "CREATE TABLE audit_head (log TEXT PRIMARY KEY, lines BIGINT NOT NULL,"
                            + " hash TEXT NOT NULL)"));

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
