package org.cpnskeys.server.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.Assumptions;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server for tests, reached with an admin role that may create databases and roles (see
 * {@code .ci/postgres}). Each test class gets its own login role; each call of {@link #newDatabase()} a fresh
 * database owned by it; {@link #close()} drops them all. Blocking methods: call them from test set-up, never
 * from an event loop.
 *
 * <p>If no server answers, the test is skipped with the reason, unless {@code CI_REQUIRE_POSTGRES=1}: then it
 * fails, so CI cannot pass without having run against PostgreSQL.
 */
public final class TestPostgres implements AutoCloseable {
    public static final String ADMIN_URL_ENV = "CPNS_TEST_PG_ADMIN_URL";
    public static final String ADMIN_PASSWORD_ENV = "CPNS_TEST_PG_ADMIN_PASSWORD";
    public static final String REQUIRE_ENV = "CI_REQUIRE_POSTGRES";
    /** The PEM of the CA that issued the test server's certificate (localhost, 127.0.0.1), made by .ci/postgres. */
    public static final String CA_ENV = "CPNS_TEST_PG_CA";
    static final String DEFAULT_CA = "/var/lib/postgresql/cpns-test-tls/ca.pem";
    static final String DEFAULT_ADMIN_URL = "postgresql://cpns_test_admin@127.0.0.1:5432/postgres";
    static final String DEFAULT_ADMIN_PASSWORD = "cpns_test_admin";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long TIMEOUT_SECONDS = 60;

    private final Vertx vertx;
    private final Pool admin;
    private final PgStoreConfig adminConfig;
    private final String role;
    private final String rolePassword;
    private final List<String> databases = new ArrayList<>();

    private TestPostgres(final Vertx vertx, final Pool admin, final PgStoreConfig adminConfig, final String role,
            final String rolePassword) {
        this.vertx = vertx;
        this.admin = admin;
        this.adminConfig = adminConfig;
        this.role = role;
        this.rolePassword = rolePassword;
    }

    /** Connects as admin and creates this class's login role; skips (or fails under CI) if there is no server. */
    public static TestPostgres startOrSkip() {
        final String url = Optional.ofNullable(System.getenv(ADMIN_URL_ENV)).orElse(DEFAULT_ADMIN_URL);
        final String password = Optional.ofNullable(System.getenv(ADMIN_PASSWORD_ENV)).orElse(DEFAULT_ADMIN_PASSWORD);
        final PgStoreConfig adminConfig = PgStoreConfig.fromUrl(url, Optional.of(password), 2);
        final Vertx vertx = Vertx.vertx();
        final Pool admin = PgBuilder.pool().with(adminConfig.poolOptions()).connectingTo(adminConfig.connectOptions())
                .using(vertx).build();
        final String role = "cpns_t_" + hex(6);
        final String rolePassword = hex(16);
        try {
            await(admin.query("CREATE ROLE " + role + " LOGIN PASSWORD '" + rolePassword + "'").execute()
                    .compose(x -> admin.query("GRANT " + role + " TO " + adminConfig.user()).execute()));
        } catch (RuntimeException e) {
            closeQuietly(vertx, admin);
            final String why = "no PostgreSQL reachable as " + adminConfig.describe() + " (" + e.getMessage()
                    + "); start one with `bash .ci/postgres` or set " + ADMIN_URL_ENV + " and " + ADMIN_PASSWORD_ENV;
            if ("1".equals(System.getenv(REQUIRE_ENV))) {
                throw new IllegalStateException(REQUIRE_ENV + "=1 but " + why, e);
            }
            LoggerFactory.getLogger(TestPostgres.class).warn("PostgreSQL tests skipped: {}", why);
            Assumptions.abort("skipped: " + why);
        }
        return new TestPostgres(vertx, admin, adminConfig, role, rolePassword);
    }

    /**
     * The CA of the test server's TLS certificate ({@value #CA_ENV}, default {@value #DEFAULT_CA}); skips the test
     * when it is missing, or fails it under {@code CI_REQUIRE_POSTGRES=1}.
     */
    public static Path tlsCaOrSkip() {
        final Path ca = Path.of(Optional.ofNullable(System.getenv(CA_ENV)).orElse(DEFAULT_CA));
        if (!Files.isReadable(ca)) {
            final String why = "no CA of the test PostgreSQL's certificate at " + ca + "; run `bash .ci/postgres`"
                    + " (it turns TLS on) or set " + CA_ENV;
            if ("1".equals(System.getenv(REQUIRE_ENV))) {
                throw new IllegalStateException(REQUIRE_ENV + "=1 but " + why);
            }
            Assumptions.abort("skipped: " + why);
        }
        return ca;
    }

    /** A new, empty database owned by this class's role; the config to reach it as that role. */
    public PgStoreConfig newDatabase() {
        final String db = "cpns_t_" + hex(8);
        await(admin.query("CREATE DATABASE " + db + " OWNER " + role).execute());
        databases.add(db);
        return new PgStoreConfig(adminConfig.host(), adminConfig.port(), db, role, Optional.of(rolePassword),
                PgStoreConfig.DEFAULT_POOL_SIZE);
    }

    /** Runs one statement as admin in {@code database} (for tests that tamper with a store). */
    public Future<Void> executeAsAdmin(final Vertx on, final String database, final String sql) {
        final PgStoreConfig c = new PgStoreConfig(adminConfig.host(), adminConfig.port(), database,
                adminConfig.user(), adminConfig.password(), 1);
        final Pool pool = PgBuilder.pool().with(c.poolOptions()).connectingTo(c.connectOptions()).using(on).build();
        return pool.query(sql).execute().eventually(pool::close).mapEmpty();
    }

    /**
     * The plan PostgreSQL chooses for {@code sql} in {@code database}, one line per row of {@code EXPLAIN}, with
     * sequential scans, bitmap scans and sorts disfavoured: what remains of them is what no index can avoid.
     */
    public Future<String> explainAsAdmin(final Vertx on, final String database, final String sql) {
        final PgStoreConfig c = new PgStoreConfig(adminConfig.host(), adminConfig.port(), database,
                adminConfig.user(), adminConfig.password(), 1);
        final Pool pool = PgBuilder.pool().with(c.poolOptions()).connectingTo(c.connectOptions()).using(on).build();
        return pool.withConnection(conn -> conn.query("SET enable_seqscan = off").execute()
                .compose(x -> conn.query("SET enable_bitmapscan = off").execute())
                .compose(x -> conn.query("SET enable_sort = off").execute())
                .compose(x -> conn.query("EXPLAIN " + sql).execute()))
                .map(rows -> {
                    final StringBuilder plan = new StringBuilder();
                    rows.forEach(row -> plan.append(row.getString(0)).append('\n'));
                    return plan.toString();
                })
                .eventually(pool::close);
    }

    @Override
    public void close() {
        Future<?> drop = Future.succeededFuture();
        for (final String db : databases) {
            drop = drop.transform(x -> admin.query("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)").execute());
        }
        try {
            await(drop.transform(x -> admin.query("DROP ROLE IF EXISTS " + role).execute()));
        } finally {
            closeQuietly(vertx, admin);
        }
    }

    private static void closeQuietly(final Vertx vertx, final Pool admin) {
        try {
            await(admin.close());
        } finally {
            await(vertx.close());
        }
    }

    private static <T> T await(final Future<T> f) {
        try {
            return f.await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("PostgreSQL did not answer within " + TIMEOUT_SECONDS + " s", e);
        } catch (Exception e) {
            throw e instanceof RuntimeException ? (RuntimeException) e : new IllegalStateException(e.getMessage(), e);
        }
    }

    private static String hex(final int bytes) {
        final byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
