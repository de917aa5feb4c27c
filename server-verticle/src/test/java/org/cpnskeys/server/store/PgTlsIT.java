package org.cpnskeys.server.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The EUKey store over TLS with verification, against the real test server (.ci/postgres gives it a
 * certificate for {@code localhost} and {@code 127.0.0.1} from a test CA): with {@code verify-full} and the right
 * CA the store opens, by either name, and the session PostgreSQL reports is encrypted with TLS 1.2 or 1.3. The
 * refusals are in {@link PgTlsAttackIT}.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, timeUnit = TimeUnit.SECONDS)
class PgTlsIT {
    private static TestPostgres postgres;
    private static Path ca;

    @BeforeAll
    static void start() {
        postgres = TestPostgres.startOrSkip();
        ca = TestPostgres.tlsCaOrSkip();
    }

    @AfterAll
    static void stop() {
        if (postgres != null) {
            postgres.close();
        }
    }

    /** Verifies that verify-full with the CA that issued the server's certificate opens the store, encrypted. */
    @ParameterizedTest
    @ValueSource(strings = {"localhost", "127.0.0.1"})
    void verifyFull_rightCaAndNameInCertificate_storeOpensOverTls(final String host, final Vertx vertx,
            final VertxTestContext ctx) {
        final PgStoreConfig db = postgres.newDatabase();
        final PgStoreConfig tls = new PgStoreConfig(host, db.port(), db.database(), db.user(), db.password(), 2,
                PgTls.verifyFull(ca));
        PgEuKeyRepository.open(vertx, tls)
                .compose(store -> store.list().eventually(store::close))
                .compose(keys -> sessionTls(vertx, tls))
                .onComplete(ctx.succeeding(row -> ctx.verify(() -> {
                    assertTrue(row.getBoolean("ssl"), "pg_stat_ssl says the session is not encrypted");
                    assertTrue(row.getString("version").matches("TLSv1\\.[23]"), row.getString("version"));
                    ctx.completeNow();
                })));
    }

    /** Verifies that the connect options carry what libpq's verify-full means: the CA and the name check. */
    @ParameterizedTest
    @ValueSource(strings = {"verify-full", "verify-ca"})
    void connectOptions_verifyingMode_setsTrustAndNameCheck(final String mode) {
        final PgStoreConfig c = new PgStoreConfig("db.example", 5432, "d", "u", Optional.empty(), 1,
                new PgTls(PgTls.Mode.of(mode), Optional.of(ca)));
        final PgConnectOptions o = c.connectOptions();
        assertEquals(mode, o.getSslMode().value);
        assertEquals("verify-full".equals(mode) ? "HTTPS" : "", o.getSslOptions().getHostnameVerificationAlgorithm());
        assertTrue(o.getSslOptions().getTrustOptions() != null);
    }

    private static Future<Row> sessionTls(final Vertx vertx, final PgStoreConfig config) {
        final Pool pool = PgBuilder.pool().with(config.poolOptions()).connectingTo(config.connectOptions())
                .using(vertx).build();
        return pool.query("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()").execute()
                .map(rows -> rows.iterator().next())
                .eventually(pool::close);
    }
}
