package org.cpnskeys.bench;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.server.store.Admission;
import org.cpnskeys.server.store.DigestUse;
import org.cpnskeys.server.store.NewKey;
import org.cpnskeys.server.store.PgEuKeyRepository;
import org.cpnskeys.server.store.PgStoreConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Durable EUKey assignments through the PostgreSQL store ({@link PgEuKeyRepository}, {@code synchronous_commit=on})
 * from {@code callers} concurrent callers, each issuing its next assignment when the previous one completed (a
 * closed loop, as servers under load do). Every assignment is a new entity's first key, authorised by its own
 * (nonce, nc) pair; no failures are recorded. After each trial it prints how many transactions PostgreSQL
 * committed per assignment (its statistics for the benchmark's database, which include the schema migrations).
 *
 * <p>Needs a PostgreSQL server and a role that may create databases: {@code -p adminUrl=postgresql://role@host:port/db}
 * (default: the test server of {@code .ci/postgres}) and the password in {@code CPNS_BENCH_PG_PASSWORD} (default
 * that server's test password). Each trial runs on a database of its own, dropped afterwards.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class PgStoreBenchmark {
    /** Assignments per benchmark invocation, shared out among the callers. */
    private static final int PER_INVOCATION = 512;
    private static final byte[] NONCE = new byte[40];

    /** Concurrent callers, each with one assignment in flight. */
    @Param({"1", "16", "128"})
    public int callers;

    /** Where to create the benchmark's database. */
    @Param("postgresql://cpns_test_admin@127.0.0.1:5432/postgres")
    public String adminUrl;

    /** PostgreSQL connections of the store (as {@code cpns server --pg-pool-size}). */
    @Param("8")
    public int poolSize;

    private final AtomicLong seq = new AtomicLong();
    private Vertx vertx;
    private Pool admin;
    private String database;
    private PgEuKeyRepository store;

    @Setup
    public void setUp() throws Exception {
        final Optional<String> password = Optional.of(Optional.ofNullable(System.getenv("CPNS_BENCH_PG_PASSWORD"))
                .orElse("cpns_test_admin"));
        final PgStoreConfig adminConfig = PgStoreConfig.fromUrl(adminUrl, password, 1);
        vertx = Vertx.vertx();
        admin = PgBuilder.pool().with(adminConfig.poolOptions()).connectingTo(adminConfig.connectOptions())
                .using(vertx).build();
        final byte[] suffix = new byte[6];
        new SecureRandom().nextBytes(suffix);
        database = "cpns_bench_" + HexFormat.of().formatHex(suffix);
        admin.query("CREATE DATABASE " + database).execute().await(30, TimeUnit.SECONDS);
        final PgStoreConfig config = new PgStoreConfig(adminConfig.host(), adminConfig.port(), database,
                adminConfig.user(), password, poolSize, adminConfig.tls());
        store = PgEuKeyRepository.open(vertx, config).await(30, TimeUnit.SECONDS);
    }

    @TearDown
    public void tearDown() throws Exception {
        store.close().await(30, TimeUnit.SECONDS);
        // the closed connections' backends report their counts as they exit: read them once they settled
        long commits = -1;
        for (int i = 0; i < 20; i++) {
            final long now = commits();
            if (now == commits) {
                break;
            }
            commits = now;
            Thread.sleep(500);
        }
        System.out.printf("%nPgStoreBenchmark callers=%d: %d assignments, %d transactions committed (%.3f per"
                + " assignment)%n", callers, seq.get(), commits, commits / (double) seq.get());
        admin.query("DROP DATABASE " + database).execute().await(30, TimeUnit.SECONDS);
        admin.close().await(30, TimeUnit.SECONDS);
        vertx.close().await(30, TimeUnit.SECONDS);
    }

    /** The transactions committed in the benchmark's database so far (PostgreSQL's statistics). */
    private long commits() throws Exception {
        return admin.preparedQuery("SELECT xact_commit FROM pg_stat_database WHERE datname = $1")
                .execute(io.vertx.sqlclient.Tuple.of(database)).await(30, TimeUnit.SECONDS)
                .iterator().next().getLong(0);
    }

    @Benchmark
    @OperationsPerInvocation(PER_INVOCATION)
    public void assignDurably() throws Exception {
        final Promise<Void> done = Promise.promise();
        final AtomicLong left = new AtomicLong(PER_INVOCATION);
        final AtomicLong callersLeft = new AtomicLong(callers);
        for (int c = 0; c < callers; c++) {
            vertx.runOnContext(v -> next(left, callersLeft, done));
        }
        done.future().await(120, TimeUnit.SECONDS);
    }

    /** One caller: its next assignment once the previous one completed, until the invocation's share is done. */
    private void next(final AtomicLong left, final AtomicLong callersLeft, final Promise<Void> done) {
        if (left.getAndDecrement() <= 0) {
            if (callersLeft.decrementAndGet() == 0) {
                done.tryComplete();
            }
            return;
        }
        assign().onComplete(r -> {
            if (r.failed()) {
                done.tryFail(r.cause());
                return;
            }
            next(left, callersLeft, done);
        });
    }

    private Future<?> assign() {
        final long n = seq.incrementAndGet();
        return store.assign(new NewKey(EntityId.of("e" + n), UserId.of("u" + (n % 1000)), GatewayId.of("gw" + (n % 16)),
                RequestId.of("r" + n), KeyId.of("k" + n), true, new byte[60], 2, Instant.now()),
                new DigestUse(NONCE, n, Instant.now().plusSeconds(300)), ADMISSION);
    }

    /** Admits every attempt and, as the servers' admission, needs not be asked when no failure is recorded. */
    private static final Admission ADMISSION = Admission.ANY;
}
