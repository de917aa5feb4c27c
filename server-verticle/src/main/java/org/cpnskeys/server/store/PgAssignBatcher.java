package org.cpnskeys.server.store;

import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.UserId;

/**
 * Group commit for the PostgreSQL store's assignments: whenever fewer than {@code maxBatches} batches run, the
 * assignments waiting (up to {@code maxBatch}) go to the database together, in one transaction sent at once:
 * {@code BEGIN}; {@code cpns_lock_entities} (every entity's advisory lock, in one order); one {@code cpns_assign}
 * call per assignment (an {@code executeBatch}: one Sync); {@code COMMIT}. That is one round trip and one WAL
 * flush for the batch (schema migration 6 holds the functions). The calls run in the order of their (nonce, nc)
 * pairs, the order of {@code digest_use}'s key, so two batches never wait for each other's uses in a cycle.
 *
 * <p>Each caller's future completes, on the caller's context, only after the COMMIT succeeded, with its own
 * outcome. An assignment whose user, gateway or pair has failures recorded is not decided in the batch
 * ({@code cpns_assign} answers ASK and changes nothing), nor is one whose admission wants to see every standing:
 * those of a batch run together after it, in a transaction of their own that records their uses, asks each
 * admission about the failures as they stand there and then decides ({@link #asking}: four round trips, one
 * commit, however many they are).
 *
 * <p><b>A failing batch</b> (a statement error in one member, such as a key ID stored before; a lost connection;
 * a deadlock) completes no one: every member runs again alone, in a transaction of its own ({@link #asking}).
 * Nothing of the batch was committed, unless the connection died after PostgreSQL committed: then each member
 * finds its (nonce, nc) pair used and is answered {@link AssignResult.Replayed}, never a second key nor a success
 * that was not stored; the client's next answer (a new nonce count, the same request ID) gets the stored key.
 * Running them alone, rather than failing them all, keeps one bad member from failing the others.
 */
final class PgAssignBatcher {
    static final String LOCK_ENTITY = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";
    private static final String LOCK_ENTITIES = "SELECT cpns_lock_entities($1)";
    private static final String ASSIGN =
            "SELECT * FROM cpns_assign($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    private static final String ASSIGN_KEY = "SELECT * FROM cpns_assign_key($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    private static final Comparator<Member> USE_ORDER = Comparator
            .<Member>comparingLong(m -> m.use().nonceExpiry().getEpochSecond())
            .thenComparing(m -> m.use().nonce(), Arrays::compareUnsigned)
            .thenComparingLong(m -> m.use().nc());

    private final Vertx vertx;
    private final Pool pool;
    private final int maxBatch;
    private final int maxBatches;
    private final Function<Throwable, Throwable> failure;
    /** Guarded by this: the assignments waiting for a batch, the batches running, the assignments not completed. */
    private final ArrayDeque<Member> waiting = new ArrayDeque<>();
    private int running;
    private int pending;
    private Promise<Void> idle;
    /** The most assignments one batch took so far (for tests). */
    private volatile int largest;

    /** One caller's assignment, completed on the caller's context. */
    private record Member(NewKey key, DigestUse use, Admission admission, Context context,
            Promise<AssignResult> result) {
    }

    /**
     * @param maxBatch   most assignments in one transaction
     * @param maxBatches most batches running at once (at most the pool's connections)
     * @param failure    how a database failure is shown to callers
     */
    PgAssignBatcher(final Vertx vertx, final Pool pool, final int maxBatch, final int maxBatches,
            final Function<Throwable, Throwable> failure) {
        this.vertx = vertx;
        this.pool = pool;
        this.maxBatch = maxBatch;
        this.maxBatches = maxBatches;
        this.failure = failure;
    }

    /** Assigns as {@link EuKeyRepository#assign}, in the next batch. */
    Future<AssignResult> assign(final NewKey key, final DigestUse use, final Admission admission) {
        final Member m = new Member(key, use, admission, vertx.getOrCreateContext(), Promise.promise());
        List<Member> batch = null;
        synchronized (this) {
            pending++;
            if (!admission.admitsWithoutFailures()) {
                batch = List.of();
            } else {
                waiting.add(m);
                if (running < maxBatches) {
                    running++;
                    batch = take();
                }
            }
        }
        if (batch == null) {
            return m.result().future();
        }
        if (batch.isEmpty()) {
            asking(List.of(m));
        } else {
            run(batch);
        }
        return m.result().future();
    }

    /** Completes once every assignment taken so far has completed. */
    synchronized Future<Void> idle() {
        if (pending == 0) {
            return Future.succeededFuture();
        }
        if (idle == null) {
            idle = Promise.promise();
        }
        return idle.future();
    }

    /** The most assignments one batch took so far. */
    int largestBatch() {
        return largest;
    }

    /** The next batch: what waits, up to the bound. Guarded by this. */
    private List<Member> take() {
        final List<Member> batch = new ArrayList<>(Math.min(waiting.size(), maxBatch));
        while (!waiting.isEmpty() && batch.size() < maxBatch) {
            batch.add(waiting.poll());
        }
        batch.sort(USE_ORDER);
        largest = Math.max(largest, batch.size());
        return batch;
    }

    private void run(final List<Member> batch) {
        final String[] entities = new String[batch.size()];
        final List<Tuple> calls = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            final Member m = batch.get(i);
            entities[i] = m.key().entityId().value();
            final List<Object> args = new ArrayList<>(keyArguments(m.key()));
            args.add(m.use().nonceExpiry().getEpochSecond());
            args.add(Buffer.buffer(m.use().nonce()));
            args.add(m.use().nc());
            calls.add(Tuple.from(args));
        }
        pool.getConnection()
                .compose(c -> inOneTransaction(c, entities, calls).eventually(c::close))
                .onComplete(done -> {
                    next();
                    if (done.failed()) {
                        batch.forEach(m -> asking(List.of(m)));
                    } else {
                        deliver(batch, done.result());
                    }
                });
    }

    /** Starts the next batch on the connection just freed, if assignments wait. */
    private void next() {
        final List<Member> batch;
        synchronized (this) {
            if (waiting.isEmpty()) {
                running--;
                return;
            }
            batch = take();
        }
        run(batch);
    }

    /**
     * The batch's transaction, sent at once; completes after the COMMIT with each member's outcome row, in order,
     * or fails if any part failed (then PostgreSQL rolled it back: after an error, the pipelined COMMIT ends the
     * aborted transaction). Built before the connection is taken, so nothing here throws while it is held.
     */
    private static Future<List<Row>> inOneTransaction(final SqlConnection c, final String[] entities,
            final List<Tuple> calls) {
        final Future<RowSet<Row>> begin = c.query("BEGIN").execute();
        final Future<RowSet<Row>> lock = c.preparedQuery(LOCK_ENTITIES).execute(Tuple.of(entities));
        final Future<RowSet<Row>> assigned = c.preparedQuery(ASSIGN).executeBatch(calls);
        final Future<RowSet<Row>> commit = c.query("COMMIT").execute();
        return Future.all(begin, lock, assigned, commit).map(x -> {
            final List<Row> outcomes = new ArrayList<>(calls.size());
            for (RowSet<Row> r = assigned.result(); r != null; r = r.next()) {
                outcomes.add(r.iterator().next());
            }
            if (outcomes.size() != calls.size()) {
                throw new IllegalStateException("EUKey store: " + outcomes.size() + " outcomes for a batch of "
                        + calls.size());
            }
            return outcomes;
        });
    }

    /** Completes the batch's members by their outcome rows; those answered ASK then run together ({@link #asking}). */
    private void deliver(final List<Member> batch, final List<Row> outcomes) {
        final List<Member> askers = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            final Member m = batch.get(i);
            if ("ASK".equals(outcomes.get(i).getString(0))) {
                askers.add(m);
            } else {
                complete(m, Future.succeededFuture(outcomes.get(i)).map(r -> result(m.key(), r)));
            }
        }
        if (!askers.isEmpty()) {
            asking(askers);
        }
    }

    /**
     * Assignments whose admission is asked, together in one transaction: their entities' locks, each one's use
     * and failures (sent at once); then each admission's decision and, for those admitted, the pair's failures
     * forgotten and {@code cpns_assign_key} (sent at once); then the COMMIT. If it fails, several run again one
     * by one; one alone fails.
     */
    private void asking(final List<Member> members) {
        final String[] entities = members.stream().map(m -> m.key().entityId().value()).toArray(String[]::new);
        pool.withTransaction(c -> {
            final List<Future<?>> sent = new ArrayList<>();
            sent.add(c.preparedQuery(LOCK_ENTITIES).execute(Tuple.of(entities)));
            final List<Future<RowSet<Row>>> used = new ArrayList<>();
            final List<Future<FailureStanding>> failures = new ArrayList<>();
            for (final Member m : members) {
                used.add(PgAuthLedger.use(c, m.use()));
                failures.add(PgAuthLedger.standing(c, m.key().userId(), m.key().gatewayId()));
            }
            sent.addAll(used);
            sent.addAll(failures);
            return Future.all(sent).compose(x -> {
                final List<Future<AssignResult>> decided = new ArrayList<>();
                for (int i = 0; i < members.size(); i++) {
                    decided.add(decide(c, members.get(i), used.get(i).result().rowCount() == 1,
                            failures.get(i).result()));
                }
                return Future.all(decided).map(y -> decided);
            });
        }).onComplete(done -> {
            if (done.succeeded()) {
                for (int i = 0; i < members.size(); i++) {
                    complete(members.get(i), done.result().get(i));
                }
            } else if (members.size() > 1) {
                members.forEach(m -> asking(List.of(m)));
            } else {
                complete(members.get(0), Future.failedFuture(done.cause()));
            }
        });
    }

    /** One asked assignment's decision, in its transaction: replayed, refused, or decided by the function. */
    private static Future<AssignResult> decide(final SqlConnection c, final Member m, final boolean firstUse,
            final FailureStanding standing) {
        if (!firstUse) {
            return Future.succeededFuture(new AssignResult.Replayed());
        }
        final Optional<java.time.Duration> refused = m.admission().refusal(standing);
        if (refused.isPresent()) {
            return Future.succeededFuture(new AssignResult.Refused(refused.get()));
        }
        final NewKey key = m.key();
        final Future<RowSet<Row>> forget = standing.pair().failures() > 0
                ? PgAuthLedger.forgetPair(c, key.userId(), key.gatewayId())
                : Future.succeededFuture();
        final Future<RowSet<Row>> assigned = c.preparedQuery(ASSIGN_KEY).execute(Tuple.from(keyArguments(key)));
        return Future.all(forget, assigned).map(y -> result(key, assigned.result().iterator().next()));
    }

    /** The result of a {@code cpns_assign} or {@code cpns_assign_key} row; an EXISTING key is in the o_ columns. */
    private static AssignResult result(final NewKey key, final Row r) {
        return switch (r.getString(0)) {
            case "CREATED" -> new AssignResult.Created(key.stored(KeyState.ACTIVE));
            case "CONFLICT" -> new AssignResult.Conflict();
            case "REPLAYED" -> new AssignResult.Replayed();
            case "EXISTING" -> new AssignResult.Existing(new StoredKey(key.entityId(), UserId.of(r.getString(1)),
                    GatewayId.of(r.getString(2)), key.requestId(), KeyId.of(r.getString(3)), r.getBoolean(4),
                    r.getBuffer(5).getBytes(), r.getInteger(6), r.getOffsetDateTime(7).toInstant(),
                    KeyState.valueOf(r.getString(8))));
            default -> throw new IllegalStateException("EUKey store: outcome " + r.getString(0));
        };
    }

    /** The arguments of {@code cpns_assign_key}, the first of {@code cpns_assign}'s. */
    private static List<Object> keyArguments(final NewKey key) {
        return List.of(key.entityId().value(), key.userId().value(), key.gatewayId().value(), key.requestId().value(),
                key.keyId().value(), key.proxy(), Buffer.buffer(key.sealedKey()), key.seal(),
                key.createdAt().atOffset(ZoneOffset.UTC));
    }

    private void complete(final Member m, final Future<AssignResult> outcome) {
        outcome.onComplete(done -> {
            m.context().runOnContext(v -> {
                if (done.failed()) {
                    m.result().fail(failure.apply(done.cause()));
                } else {
                    m.result().complete(done.result());
                }
            });
            final Promise<Void> nowIdle;
            synchronized (this) {
                pending--;
                nowIdle = pending == 0 ? idle : null;
                if (nowIdle != null) {
                    idle = null;
                }
            }
            if (nowIdle != null) {
                nowIdle.complete();
            }
        });
    }
}
