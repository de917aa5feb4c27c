package org.cpnskeys.server.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.UserId;

/**
 * Runs the repository contract on a real PostgreSQL server (see {@link TestPostgres}: skipped without one,
 * failed without one under {@code CI_REQUIRE_POSTGRES=1}), plus what is particular to PostgreSQL. Each test
 * gets a fresh database.
 */
class PgEuKeyRepositoryIT extends EuKeyRepositoryContract {
    private static TestPostgres postgres;

    /** This test's database; JUnit makes a new instance per test, so each test gets a fresh one. */
    private PgStoreConfig database;

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
    protected Future<PgEuKeyRepository> openRepository(final Vertx vertx) {
        if (database == null) {
            database = postgres.newDatabase();
        }
        return PgEuKeyRepository.open(vertx, database);
    }

    /** Verifies that two stores opening one new database together migrate it once and both work. */
    @Test
    void open_twoStoresAtOnceOnNewDatabase_migrateOnceAndShareKeys(final Vertx vertx, final VertxTestContext ctx) {
        final PgStoreConfig shared = postgres.newDatabase();
        final List<PgEuKeyRepository> opened = new ArrayList<>();
        Future.all(PgEuKeyRepository.open(vertx, shared), PgEuKeyRepository.open(vertx, shared))
                .compose(both -> {
                    opened.add(both.resultAt(0));
                    opened.add(both.resultAt(1));
                    return assign(opened.get(0), key("pne-1", "alice", "r1"));
                })
                .compose(r -> Future.all(assign(opened.get(1), key("pne-1", "bob", "r2")),
                        opened.get(1).findActive(org.cpnskeys.protocol.EntityId.of("pne-1"))))
                .eventually(() -> Future.join(opened.get(0).close(), opened.get(1).close()))
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    assertEquals(new AssignResult.Conflict(), r.resultAt(0));
                    assertEquals("alice", r.<Optional<StoredKey>>resultAt(1).orElseThrow().userId().value());
                    ctx.completeNow();
                })));
    }

    /**
     * Verifies that revoke and release done through one server's store are what another server's store decides by
     * (the database is the authority): after a revoke on one, the owner's next key comes from the other; after a
     * release on the other, a second user claims the entity on the first.
     */
    @Test
    void revokeAndRelease_onOneOfTwoStores_otherStoreDecidesByThem(final Vertx vertx, final VertxTestContext ctx) {
        final PgStoreConfig shared = postgres.newDatabase();
        final List<PgEuKeyRepository> opened = new ArrayList<>();
        final NewKey first = key("pne-1", "alice", "r1");
        final NewKey next = key("pne-1", "alice", "r2");
        final NewKey bob = key("pne-1", "bob", "r3");
        Future.all(PgEuKeyRepository.open(vertx, shared), PgEuKeyRepository.open(vertx, shared))
                .compose(both -> {
                    opened.add(both.resultAt(0));
                    opened.add(both.resultAt(1));
                    return assign(opened.get(0), first);
                })
                .compose(r -> opened.get(1).revoke(first.entityId()))
                .compose(r -> Future.all(assign(opened.get(0), key("pne-1", "bob", "r0")), assign(opened.get(0), next)))
                .compose(r -> {
                    ctx.verify(() -> {
                        assertEquals(new AssignResult.Conflict(), r.resultAt(0));
                        assertEquals(new AssignResult.Created(next.stored(KeyState.ACTIVE)), r.resultAt(1));
                    });
                    return opened.get(1).release(first.entityId());
                })
                .compose(r -> assign(opened.get(0), bob))
                .compose(r -> {
                    ctx.verify(() -> assertEquals(new AssignResult.Created(bob.stored(KeyState.ACTIVE)), r));
                    return opened.get(1).list();
                })
                .eventually(() -> Future.join(opened.get(0).close(), opened.get(1).close()))
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    assertEquals(List.of(first.stored(KeyState.REVOKED).info(), next.stored(KeyState.RELEASED).info(),
                            bob.stored(KeyState.ACTIVE).info()), all);
                    ctx.completeNow();
                })));
    }

    /**
     * Verifies that every look-up of an assignment is an index scan bounded by the entity, without a sort: its
     * cost does not grow with the keys stored (the latest-key look-up sorted all of an entity's past keys until
     * migration 3).
     */
    @Test
    void assignLookups_planned_indexScansByEntityWithoutSort(final Vertx vertx, final VertxTestContext ctx) {
        final List<String> plans = new ArrayList<>();
        Future<?> chain = Future.succeededFuture();
        for (final String sql : PgEuKeyRepository.ASSIGN_LOOKUPS) {
            final String bound = sql.replace("$1", "'pne-1'").replace("$2", "'r1'");
            chain = chain.compose(x -> postgres.explainAsAdmin(vertx, database.database(), bound)
                    .onSuccess(plan -> plans.add(sql + "\n" + plan)));
        }
        chain.onComplete(ctx.succeeding(x -> ctx.verify(() -> {
            assertEquals(PgEuKeyRepository.ASSIGN_LOOKUPS.size(), plans.size());
            for (final String plan : plans) {
                assertTrue(plan.contains("Index Cond: (entity_id = 'pne-1'::text)")
                        || plan.contains("Index Cond: ((entity_id = 'pne-1'::text) AND (request_id = 'r1'::text))"), plan);
                assertFalse(plan.contains("Sort") || plan.contains("Seq Scan"), plan);
            }
            ctx.completeNow();
        })));
    }

    /**
     * Verifies that a row written without a seal (by a server of the version before seals, still running during an
     * upgrade) is refused by the schema, so no key bound to less than its row is stored once the store is migrated.
     */
    @Test
    void insert_withoutSeal_refusedByTheSchema(final Vertx vertx, final VertxTestContext ctx) {
        postgres.executeAsAdmin(vertx, database.database(), "INSERT INTO eukey (entity_id, user_id, gateway_id,"
                + " request_id, key_id, proxy, sealed_key, created_at, state) VALUES ('pne-old', 'alice', 'gw', 'r1',"
                + " 'k-old', true, '\\x00', now(), 'ACTIVE')")
                .onComplete(ctx.failing(e -> ctx.verify(() -> {
                    assertTrue(e.getMessage().contains("seal"), e.getMessage());
                    ctx.completeNow();
                })));
    }

    /** Verifies that a database migrated by a newer server is refused with a clear message. */
    @Test
    void open_newerSchemaVersion_failsNamingTheVersion(final Vertx vertx, final VertxTestContext ctx) {
        repo.close()
                .compose(v -> postgres.executeAsAdmin(vertx, database.database(),
                        "INSERT INTO schema_version (version) VALUES (99)"))
                .compose(v -> openRepository(vertx))
                .onComplete(ctx.failing(e -> ctx.verify(() -> {
                    assertTrue(e.getMessage().contains("schema version 99 is newer"), e.getMessage());
                    ctx.completeNow();
                })));
    }

    /** Verifies that two stores on one database, assigning one entity concurrently, leave one active key. */
    @Test
    void assign_concurrentFromTwoStoresForOneEntity_exactlyOneActiveKey(final Vertx vertx,
            final VertxTestContext ctx) {
        final List<Future<AssignResult>> results = new ArrayList<>();
        PgEuKeyRepository.open(vertx, database).compose(second -> {
            for (int i = 0; i < 100; i++) {
                final EuKeyRepository via = i % 2 == 0 ? repo : second;
                results.add(assign(via, key("pne-shared", i % 4 < 2 ? "alice" : "bob", "r-" + i)));
            }
            return Future.join(results).eventually(second::close);
        }).compose(x -> repo.list()).onComplete(ctx.succeeding(all -> ctx.verify(() -> {
            results.forEach(f -> assertTrue(f.succeeded(), () -> String.valueOf(f.cause())));
            assertEquals(1, all.stream().filter(k -> k.state() == KeyState.ACTIVE).count());
            final long created = results.stream().filter(f -> f.result() instanceof AssignResult.Created).count();
            assertEquals(50, created);
            assertEquals(50, all.size());
            results.stream().filter(f -> !(f.result() instanceof AssignResult.Created))
                    .forEach(f -> assertInstanceOf(AssignResult.Conflict.class, f.result()));
            ctx.completeNow();
        })));
    }

    /**
     * Verifies that the mixed assignments of the contract, held back behind one that waits for an entity's lock on
     * a store with one connection, go to the database as one batch (one transaction) and still each get their own
     * outcome: two uses of one (nonce, nc) pair inside one transaction, two rotations of one entity, conflicts,
     * retries, a member with failures recorded (decided alone after the batch) and new keys.
     */
    @Test
    void assign_mixedAssignmentsInOneBatch_eachItsOwnOutcome(final Vertx vertx, final VertxTestContext ctx) {
        final MixedAssignments mix = new MixedAssignments();
        final List<Future<AssignResult>> results = new ArrayList<>();
        final PgStoreConfig one = oneConnection();
        final io.vertx.sqlclient.Pool holder = io.vertx.pgclient.PgBuilder.pool().with(one.poolOptions())
                .connectingTo(one.connectOptions()).using(vertx).build();
        final List<PgEuKeyRepository> small = new ArrayList<>();
        mix.setUp(repo)
                .compose(x -> PgEuKeyRepository.open(vertx, one))
                .compose(store -> {
                    small.add(store);
                    return holder.getConnection();
                })
                .compose(c -> holdLock(c, "pne-block"))
                .compose(c -> {
                    final PgEuKeyRepository store = small.get(0);
                    final Future<AssignResult> blocked = assign(store, key("pne-block", "zed", "z1"));
                    results.addAll(mix.submit(store));
                    return c.query("COMMIT").execute().eventually(c::close)
                            .compose(x -> blocked)
                            .compose(x -> Future.all(results));
                })
                .compose(x -> Future.all(repo.list(), repo.failures(UserId.of("frank"), GatewayId.of("gw-frank"))))
                .eventually(() -> Future.join(holder.close(), small.isEmpty() ? Future.succeededFuture()
                        : small.get(0).close()))
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    assertEquals(MixedAssignments.SIZE - 1, small.get(0).largestBatch(),
                            "all but the refusing admission's in one batch");
                    final List<KeyInfo> all = new ArrayList<>(r.<List<KeyInfo>>resultAt(0));
                    all.removeIf(k -> k.entityId().value().equals("pne-block"));
                    mix.check(results, all, r.resultAt(1));
                    ctx.completeNow();
                })));
    }

    /**
     * Verifies that a batch whose connection dies before its COMMIT completes none of its members as a success
     * from it: each runs again alone on a new connection and gets its own outcome, every key stored once. The
     * batch is held at an entity's lock (taken by another connection) while its backend is terminated.
     */
    @Test
    void assign_batchLosesItsConnection_membersRunAloneAndEachStoredOnce(final Vertx vertx,
            final VertxTestContext ctx) {
        final PgStoreConfig one = oneConnection();
        final io.vertx.sqlclient.Pool holder = io.vertx.pgclient.PgBuilder.pool().with(one.poolOptions())
                .connectingTo(one.connectOptions()).using(vertx).build();
        final List<PgEuKeyRepository> small = new ArrayList<>();
        final List<NewKey> keys = new ArrayList<>();
        final List<Future<AssignResult>> results = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            keys.add(key("pne-x" + i, "user-" + i, "r" + i));
        }
        PgEuKeyRepository.open(vertx, one)
                .compose(store -> {
                    small.add(store);
                    return holder.getConnection();
                })
                .compose(c -> holdLock(c, "pne-x0"))
                .compose(c -> {
                    keys.forEach(k -> results.add(assign(small.get(0), k)));
                    return terminateWaitingBackend(vertx, c, 200)
                            .compose(x -> c.query("COMMIT").execute())
                            .eventually(c::close)
                            .compose(x -> Future.join(results))
                            .transform(x -> repo.list());
                })
                .eventually(() -> Future.join(holder.close(), small.isEmpty() ? Future.succeededFuture()
                        : small.get(0).close()))
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    for (int i = 0; i < keys.size(); i++) {
                        assertEquals(new AssignResult.Created(keys.get(i).stored(KeyState.ACTIVE)),
                                results.get(i).result(), "assign " + i + ": " + results.get(i).cause());
                    }
                    assertEquals(keys.stream().map(k -> k.stored(KeyState.ACTIVE).info()).toList(),
                            all.stream().sorted(java.util.Comparator.comparing(k -> Integer.parseInt(
                                    k.entityId().value().substring("pne-x".length())))).toList());
                    ctx.completeNow();
                })));
    }

    /** Terminates the backend waiting for an advisory lock in this database, polling every 50 ms until it waits. */
    private static Future<Void> terminateWaitingBackend(final Vertx vertx, final io.vertx.sqlclient.SqlConnection c,
            final int tries) {
        return c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND pid <> pg_backend_pid() AND wait_event = 'advisory'").execute().compose(rows -> {
                    if (rows.size() > 0) {
                        return Future.succeededFuture();
                    }
                    if (tries == 0) {
                        return Future.failedFuture(new AssertionError("no batch waited for the lock"));
                    }
                    final io.vertx.core.Promise<Void> later = io.vertx.core.Promise.promise();
                    vertx.setTimer(50, t -> terminateWaitingBackend(vertx, c, tries - 1).onComplete(later));
                    return later.future();
                });
    }

    /** This test's database through a store (or pool) of one connection. */
    private PgStoreConfig oneConnection() {
        return new PgStoreConfig(database.host(), database.port(), database.database(), database.user(),
                database.password(), 1, database.tls());
    }

    /** Begins a transaction on {@code c} that holds the entity's advisory lock until {@code c} commits. */
    private static Future<io.vertx.sqlclient.SqlConnection> holdLock(final io.vertx.sqlclient.SqlConnection c,
            final String entity) {
        return c.query("BEGIN").execute()
                .compose(x -> c.preparedQuery(PgAssignBatcher.LOCK_ENTITY).execute(io.vertx.sqlclient.Tuple.of(entity)))
                .map(x -> c);
    }
}
