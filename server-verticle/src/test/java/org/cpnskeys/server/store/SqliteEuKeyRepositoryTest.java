package org.cpnskeys.server.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the repository contract on SQLite, plus what is particular to the file store. */
class SqliteEuKeyRepositoryTest extends EuKeyRepositoryContract {
    private static final Logger LOG = LoggerFactory.getLogger(SqliteEuKeyRepositoryTest.class);

    @TempDir
    Path dir;

    private Path dbFile() {
        return dir.resolve("data").resolve("store").resolve("eukeys.db");
    }

    @Override
    protected Future<SqliteEuKeyRepository> openRepository(final Vertx vertx) {
        return SqliteEuKeyRepository.open(vertx, dbFile());
    }

    private SqliteEuKeyRepository sqlite() {
        return (SqliteEuKeyRepository) repo;
    }

    /** Verifies that the database file, its WAL and the directory created for it are owner-only. */
    @Test
    void open_newFile_databaseAndDirectoryAreOwnerOnly(final VertxTestContext ctx) {
        assign(key("pne-1", "alice", "r1")).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dbFile())));
            for (final String suffix : List.of("-wal", "-shm")) {
                final Path side = dbFile().resolveSibling(dbFile().getFileName() + suffix);
                if (Files.exists(side)) {
                    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(side)),
                            side.toString());
                }
            }
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dbFile().getParent())));
            assertEquals("rwx------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(dbFile().getParent().getParent())));
            ctx.completeNow();
        })));
    }

    /** Verifies that the file runs in WAL mode and records each schema version exactly once across reopenings. */
    @Test
    void open_twice_walModeAndSchemaVersionRecordedOnce(final Vertx vertx, final VertxTestContext ctx) {
        repo.close()
                .compose(v -> openRepository(vertx))
                .compose(r -> {
                    repo = r;
                    return repo.close();
                })
                .compose(v -> vertx.executeBlocking(() -> {
                    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dbFile());
                            Statement s = c.createStatement()) {
                        final List<String> out = new ArrayList<>();
                        try (ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
                            rs.next();
                            out.add(rs.getString(1));
                        }
                        try (ResultSet rs = s.executeQuery("SELECT group_concat(version) FROM schema_version")) {
                            rs.next();
                            out.add(rs.getString(1));
                        }
                        return out;
                    }
                }))
                .onComplete(ctx.succeeding(out -> ctx.verify(() -> {
                    assertEquals(List.of("wal", java.util.stream.IntStream.rangeClosed(1, SqliteEuKeyRepository.schemaVersion())
                            .mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining(","))), out);
                    ctx.completeNow();
                })));
    }

    /**
     * Verifies that every look-up of an assignment is an index search bounded by the entity, without a scan or a
     * temporary sort: its cost does not grow with the keys stored (the latest-key look-up sorted all of an
     * entity's past keys until migration 3, and the whole-system benchmark slowed down as keys piled up).
     */
    @Test
    void assignLookups_planned_indexSearchesWithoutScanOrSort(final Vertx vertx, final VertxTestContext ctx) {
        repo.close()
                .compose(v -> vertx.executeBlocking(() -> {
                    final List<String> plans = new ArrayList<>();
                    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dbFile())) {
                        for (final String sql : SqliteEuKeyRepository.ASSIGN_LOOKUPS) {
                            try (java.sql.PreparedStatement p = c.prepareStatement("EXPLAIN QUERY PLAN " + sql)) {
                                for (int i = 1; i <= p.getParameterMetaData().getParameterCount(); i++) {
                                    p.setString(i, "pne-1");
                                }
                                final StringBuilder plan = new StringBuilder(sql).append('\n');
                                try (ResultSet rs = p.executeQuery()) {
                                    while (rs.next()) {
                                        plan.append(rs.getString("detail")).append('\n');
                                    }
                                }
                                plans.add(plan.toString());
                            }
                        }
                    }
                    return plans;
                }))
                .onComplete(ctx.succeeding(plans -> ctx.verify(() -> {
                    assertEquals(SqliteEuKeyRepository.ASSIGN_LOOKUPS.size(), plans.size());
                    for (final String plan : plans) {
                        assertTrue(plan.contains("SEARCH eukey USING"), plan);
                        assertFalse(plan.contains("SCAN") || plan.contains("TEMP B-TREE"), plan);
                    }
                    ctx.completeNow();
                })));
    }

    /** Verifies that a database written by a newer server is refused with a clear message. */
    @Test
    void open_newerSchemaVersion_failsNamingTheVersion(final Vertx vertx, final VertxTestContext ctx) {
        repo.close()
                .compose(v -> vertx.executeBlocking(() -> {
                    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dbFile());
                            Statement s = c.createStatement()) {
                        s.execute("INSERT INTO schema_version (version, applied_at) VALUES (99, 'test')");
                    }
                    return null;
                }))
                .compose(v -> openRepository(vertx))
                .onComplete(ctx.failing(e -> ctx.verify(() -> {
                    assertTrue(e.getMessage().contains("schema version 99 is newer"), e.getMessage());
                    ctx.completeNow();
                })));
    }

    /**
     * Measures group commit: 5,000 concurrent assigns, with the number of commits they took. Logged, not asserted
     * on time (this machine syncs about 300 times per second).
     */
    @Test
    void assign_5000Concurrent_groupCommitTakesFewCommits(final VertxTestContext ctx) {
        final long commitsBefore = sqlite().commitCount();
        final long start = System.nanoTime();
        final List<Future<AssignResult>> results = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            results.add(assign(key("pne-" + i, "user-" + (i % 13), "r-" + i)));
        }
        Future.all(results).compose(all -> {
            ctx.verify(() -> {
                final long millis = (System.nanoTime() - start) / 1_000_000;
                final long commits = sqlite().commitCount() - commitsBefore;
                LOG.info("group commit: 5000 assigns in {} ms, {} commits ({} assigns per commit on average)", millis,
                        commits, commits == 0 ? 0 : 5000 / commits);
                results.forEach(f -> assertInstanceOf(AssignResult.Created.class, f.result()));
                assertTrue(commits < 5000, "expected batching, got " + commits + " commits");
            });
            return sequentialAssigns(200, System.nanoTime(), sqlite().commitCount());
        }).onComplete(ctx.succeedingThenComplete());
    }

    /** For contrast: assigns one after the other, each waiting for the previous, so one commit each. */
    private Future<Void> sequentialAssigns(final int remaining, final long start, final long commitsBefore) {
        if (remaining == 0) {
            LOG.info("no batching (one at a time): 200 assigns in {} ms, {} commits",
                    (System.nanoTime() - start) / 1_000_000, sqlite().commitCount() - commitsBefore);
            return Future.succeededFuture();
        }
        return assign(key("seq-" + remaining, "alice", "r"))
                .compose(r -> sequentialAssigns(remaining - 1, start, commitsBefore));
    }

    /**
     * Verifies that a store written at schema version 1 (states ACTIVE and SUPERSEDED only) is migrated in place:
     * its keys are kept, marked as sealed with seal 1 (what servers sealed with then), and can then be revoked and
     * released.
     */
    @Test
    void open_version1Store_migratesKeepingKeysAndAllowsRevokeAndRelease(final Vertx vertx, final VertxTestContext ctx) {
        final NewKey old = key("pne-old", "alice", "r1", 1);
        repo.close()
                .compose(v -> vertx.executeBlocking(() -> {
                    Files.delete(dbFile());
                    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dbFile());
                            Statement s = c.createStatement()) {
                        s.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
                        s.execute("INSERT INTO schema_version VALUES (1, '2026-01-01T00:00:00Z')");
                        s.execute("CREATE TABLE eukey (id INTEGER PRIMARY KEY, entity_id TEXT NOT NULL,"
                                + " user_id TEXT NOT NULL, gateway_id TEXT NOT NULL, request_id TEXT NOT NULL,"
                                + " key_id TEXT NOT NULL UNIQUE, proxy INTEGER NOT NULL CHECK (proxy IN (0, 1)),"
                                + " sealed_key BLOB NOT NULL, created_at TEXT NOT NULL,"
                                + " state TEXT NOT NULL CHECK (state IN ('ACTIVE', 'SUPERSEDED')),"
                                + " UNIQUE (entity_id, request_id))");
                        s.execute("CREATE UNIQUE INDEX eukey_one_active_per_entity ON eukey (entity_id) WHERE state = 'ACTIVE'");
                        try (var p = c.prepareStatement("INSERT INTO eukey (entity_id, user_id, gateway_id, request_id,"
                                + " key_id, proxy, sealed_key, created_at, state) VALUES (?, ?, ?, ?, ?, 1, ?, ?, 'ACTIVE')")) {
                            p.setString(1, old.entityId().value());
                            p.setString(2, old.userId().value());
                            p.setString(3, old.gatewayId().value());
                            p.setString(4, old.requestId().value());
                            p.setString(5, old.keyId().value());
                            p.setBytes(6, old.sealedKey());
                            p.setString(7, old.createdAt().toString());
                            p.executeUpdate();
                        }
                    }
                    return null;
                }))
                .compose(v -> openRepository(vertx))
                .compose(reopened -> {
                    repo = reopened;
                    return repo.findActive(old.entityId());
                })
                .compose(active -> {
                    ctx.verify(() -> assertEquals(java.util.Optional.of(old.stored(KeyState.ACTIVE)), active));
                    return repo.revoke(old.entityId());
                })
                .compose(r -> repo.release(old.entityId()))
                .compose(r -> assign(key("pne-old", "bob", "r2")))
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    assertInstanceOf(AssignResult.Created.class, r);
                    ctx.completeNow();
                })));
    }
}
