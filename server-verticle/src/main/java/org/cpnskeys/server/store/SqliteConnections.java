package org.cpnskeys.server.store;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import org.cpnskeys.protocol.crypto.SecretFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/** Opening and closing the SQLite EUKey store's one connection. */
final class SqliteConnections {
    /** Logs as the store it belongs to. */
    private static final Logger LOG = LoggerFactory.getLogger(SqliteEuKeyRepository.class);

    private SqliteConnections() {
    }

    /**
     * The connection to {@code file} (created empty if missing): the parent directory and the file owner-only,
     * WAL journal with {@code synchronous=FULL}, auto-commit off. Blocking: run on a worker.
     */
    static Connection connect(final Path file) throws IOException, SQLException {
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

    /** Closes the connection, logging (not throwing) a failure. */
    static void closeQuietly(final Connection connection) {
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.warn("closing the EUKey store connection failed: {}", e.getMessage());
        }
    }
}
