package org.cpnskeys.server;

import java.nio.file.Path;

/** {@link MasterKeyMigrationContract} on the embedded SQLite store. */
class SqliteMasterKeyMigrationIT extends MasterKeyMigrationContract {
    @Override
    protected ServerConfig storeConfig(final Path data) {
        return ServerConfig.defaults(data, 0);
    }
}
