package org.cpnskeys.server.store;

import java.time.Duration;
import java.time.Instant;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.UserId;

/**
 * The PostgreSQL store's single use of digest answers ({@code digest_use}) and its failure counts
 * ({@code auth_failure}): the statements, sent on the client (pool or transaction) the caller gives.
 */
final class PgAuthLedger {
    private static final String USE =
            "INSERT INTO digest_use (nonce_expiry, nonce, nc) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
    private static final String FAILURE_COLUMNS = "user_id, gateway_id, failures, window_end, last_failure";
    /** A user through a gateway, the user (gateway ''), the gateway (user ''): identifiers are never empty. */
    private static final String FAILURES = "SELECT " + FAILURE_COLUMNS + " FROM auth_failure"
            + " WHERE (user_id, gateway_id) IN (($1, $2), ($1, ''), ('', $2))";
    private static final String FORGET_PAIR = "DELETE FROM auth_failure WHERE user_id = $1 AND gateway_id = $2";
    /** One failure for the pair, the user and the gateway; the rows in this order in every writer (no deadlock). */
    private static final String RECORD_FAILURE = "INSERT INTO auth_failure (" + FAILURE_COLUMNS + ")"
            + " VALUES ($1, $2, 1, $3, $4), ($1, '', 1, $3, $4), ('', $2, 1, $3, $4)"
            + " ON CONFLICT (user_id, gateway_id) DO UPDATE SET"
            + " failures = CASE WHEN auth_failure.window_end <= $4 THEN 1 ELSE auth_failure.failures + 1 END,"
            + " window_end = CASE WHEN auth_failure.window_end <= $4 THEN EXCLUDED.window_end"
            + " ELSE auth_failure.window_end END, last_failure = $4"
            + " RETURNING " + FAILURE_COLUMNS;

    private PgAuthLedger() {
    }

    /** Records the digest answer's (nonce, nc) pair; a row count of 0 means it was used before (a replay). */
    static Future<RowSet<Row>> use(final SqlClient c, final DigestUse use) {
        return c.preparedQuery(USE).execute(Tuple.of(use.nonceExpiry().getEpochSecond(), Buffer.buffer(use.nonce()),
                use.nc()));
    }

    /** The failures of the user through the gateway, of the user and of the gateway. */
    static Future<FailureStanding> standing(final SqlClient c, final UserId user, final GatewayId gateway) {
        return c.preparedQuery(FAILURES).execute(Tuple.of(user.value(), gateway.value()))
                .map(PgAuthLedger::standing);
    }

    /** Forgets the failures of the user through the gateway (after a success). */
    static Future<RowSet<Row>> forgetPair(final SqlClient c, final UserId user, final GatewayId gateway) {
        return c.preparedQuery(FORGET_PAIR).execute(Tuple.of(user.value(), gateway.value()));
    }

    /** One more failure for the pair, the user and the gateway, in one statement. */
    static Future<FailureStanding> recordFailure(final SqlClient c, final UserId user, final GatewayId gateway,
            final Instant now, final Duration window) {
        return c.preparedQuery(RECORD_FAILURE).execute(Tuple.of(user.value(), gateway.value(),
                        now.plus(window).toEpochMilli(), now.toEpochMilli()))
                .map(PgAuthLedger::standing);
    }

    /** Deletes the uses whose nonce expired and the failure windows that ended before {@code cutoff}. */
    static Future<Integer> purge(final SqlClient c, final Instant cutoff) {
        final Future<RowSet<Row>> uses = c.preparedQuery("DELETE FROM digest_use WHERE nonce_expiry < $1")
                .execute(Tuple.of(cutoff.getEpochSecond()));
        final Future<RowSet<Row>> failures = c.preparedQuery("DELETE FROM auth_failure WHERE window_end < $1")
                .execute(Tuple.of(cutoff.toEpochMilli()));
        return Future.all(uses, failures).map(x -> uses.result().rowCount() + failures.result().rowCount());
    }

    /** The rows of {@link #FAILURES} or {@link #RECORD_FAILURE} as a standing: user '' is the gateway's row. */
    private static FailureStanding standing(final RowSet<Row> rows) {
        FailureCount pair = FailureCount.NONE;
        FailureCount user = FailureCount.NONE;
        FailureCount gateway = FailureCount.NONE;
        for (final Row r : rows) {
            final FailureCount count = new FailureCount(r.getInteger(2), Instant.ofEpochMilli(r.getLong(3)),
                    Instant.ofEpochMilli(r.getLong(4)));
            if (r.getString(0).isEmpty()) {
                gateway = count;
            } else if (r.getString(1).isEmpty()) {
                user = count;
            } else {
                pair = count;
            }
        }
        return new FailureStanding(pair, user, gateway);
    }
}
