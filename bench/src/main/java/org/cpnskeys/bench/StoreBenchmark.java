package org.cpnskeys.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.server.store.Admission;
import org.cpnskeys.server.store.DigestUse;
import org.cpnskeys.server.store.NewKey;
import org.cpnskeys.server.store.SqliteEuKeyRepository;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Durable EUKey writes (SQLite WAL, synchronous=FULL) with group commit: 256 assignments issued at once, each
 * future completing only after its transaction committed, as under load.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class StoreBenchmark {
    private static final int BATCH = 256;
    /** One nonce for every assignment here; each takes the next nonce count. */
    private static final byte[] NONCE = new byte[40];
    private final AtomicLong seq = new AtomicLong();
    private Vertx vertx;
    private Path dir;
    private SqliteEuKeyRepository store;

    @Setup
    public void setUp() throws Exception {
        vertx = Vertx.vertx();
        dir = Files.createTempDirectory("cpns-store-bench");
        store = SqliteEuKeyRepository.open(vertx, dir.resolve("eukeys.db")).await(30, TimeUnit.SECONDS);
    }

    @TearDown
    public void tearDown() throws Exception {
        store.close().await(30, TimeUnit.SECONDS);
        vertx.close().await(30, TimeUnit.SECONDS);
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void assignDurably() throws Exception {
        final List<Future<?>> all = new ArrayList<>(BATCH);
        for (int i = 0; i < BATCH; i++) {
            final long n = seq.incrementAndGet();
            all.add(store.assign(new NewKey(EntityId.of("e" + n), UserId.of("alice"), GatewayId.of("gw"),
                    RequestId.of("r" + n), KeyId.of("k" + n), true, new byte[60], 2, Instant.now()),
                    // the (nonce, nc) pair recorded with the key, as in an assignment
                    new DigestUse(NONCE, n, Instant.now().plusSeconds(300)), Admission.ANY));
        }
        Future.all(all).await(60, TimeUnit.SECONDS);
    }
}
