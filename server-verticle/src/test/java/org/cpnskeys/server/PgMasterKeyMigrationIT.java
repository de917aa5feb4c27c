package org.cpnskeys.server;

import java.nio.file.Path;

import org.cpnskeys.server.store.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link MasterKeyMigrationContract} on PostgreSQL (see {@link TestPostgres}: skipped without a server, failed
 * without one under {@code CI_REQUIRE_POSTGRES=1}), a new database per test.
 */
class PgMasterKeyMigrationIT extends MasterKeyMigrationContract {
    private static TestPostgres postgres;

    @BeforeAll
    static void startPostgres() {
        postgres = TestPostgres.startOrSkip();
    }

    @AfterAll
    static void dropDatabases() {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Override
    protected ServerConfig storeConfig(final Path data) {
        return ServerConfig.defaults(data, 0).withPostgres(postgres.newDatabase());
    }
}
