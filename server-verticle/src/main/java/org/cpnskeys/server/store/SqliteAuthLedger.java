package org.cpnskeys.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.UserId;

/**
 * The SQLite store's single use of digest answers ({@code digest_use}) and its failure counts
 * ({@code auth_failure}). Confined to the store's writer thread, like every statement on its connection.
 */
final class SqliteAuthLedger {
    private final PreparedStatement use;
    private final PreparedStatement failureRow;
    private final PreparedStatement putFailure;
    private final PreparedStatement forgetPair;
    private final PreparedStatement purgeUses;
    private final PreparedStatement purgeFailures;

    SqliteAuthLedger(final Connection connection) throws SQLException {
        this.use = connection.prepareStatement("INSERT OR IGNORE INTO digest_use (nonce_expiry, nonce, nc) VALUES (?, ?, ?)");
        this.failureRow = connection.prepareStatement(
                "SELECT failures, window_end, last_failure FROM auth_failure WHERE user_id = ? AND gateway_id = ?");
        this.putFailure = connection.prepareStatement("INSERT OR REPLACE INTO auth_failure (user_id, gateway_id,"
                + " failures, window_end, last_failure) VALUES (?, ?, ?, ?, ?)");
        this.forgetPair = connection.prepareStatement("DELETE FROM auth_failure WHERE user_id = ? AND gateway_id = ?");
        this.purgeUses = connection.prepareStatement("DELETE FROM digest_use WHERE nonce_expiry < ?");
        this.purgeFailures = connection.prepareStatement("DELETE FROM auth_failure WHERE window_end < ?");
    }

    /**
     * An assignment's checks before the key: records the digest answer's (nonce, nc) pair, refuses a replay and
     * what the admission refuses on the failures, and forgets the pair's failures otherwise; empty to go on.
     */
    Optional<AssignResult> admit(final NewKey key, final DigestUse digestUse, final Admission admission)
            throws SQLException {
        return admit(key.userId(), key.gatewayId(), digestUse, admission);
    }

    /** The checks before any change authorised by a digest answer of {@code user} through {@code gateway}. */
    Optional<AssignResult> admit(final UserId user, final GatewayId gateway, final DigestUse digestUse,
            final Admission admission) throws SQLException {
        use.setLong(1, digestUse.nonceExpiry().getEpochSecond());
        use.setBytes(2, digestUse.nonce());
        use.setLong(3, digestUse.nc());
        if (use.executeUpdate() == 0) {
            return Optional.of(new AssignResult.Replayed());
        }
        final FailureStanding failures = standing(user, gateway);
        final Optional<Duration> refused = admission.refusal(failures);
        if (refused.isPresent()) {
            return Optional.of(new AssignResult.Refused(refused.get()));
        }
        if (failures.pair().failures() > 0) {
            forgetPair.setString(1, user.value());
            forgetPair.setString(2, gateway.value());
            forgetPair.executeUpdate();
        }
        return Optional.empty();
    }

    /** One more failure for the pair, the user and the gateway. */
    FailureStanding recordFailure(final UserId user, final GatewayId gateway, final Instant now,
            final Duration window) throws SQLException {
        return new FailureStanding(countFailure(user.value(), gateway.value(), now, window),
                countFailure(user.value(), "", now, window), countFailure("", gateway.value(), now, window));
    }

    /** Deletes the uses whose nonce expired and the failure windows that ended before {@code cutoff}. */
    int purge(final Instant cutoff) throws SQLException {
        purgeUses.setLong(1, cutoff.getEpochSecond());
        purgeFailures.setLong(1, cutoff.toEpochMilli());
        return purgeUses.executeUpdate() + purgeFailures.executeUpdate();
    }

    /** One more failure in the row's window (a new window once it ended); the writer thread runs one at a time. */
    private FailureCount countFailure(final String user, final String gateway, final Instant now, final Duration window)
            throws SQLException {
        final FailureCount old = failureRow(user, gateway);
        final FailureCount next = now.isBefore(old.windowEnd())
                ? new FailureCount(old.failures() + 1, old.windowEnd(), now)
                : new FailureCount(1, now.plus(window), now);
        putFailure.setString(1, user);
        putFailure.setString(2, gateway);
        putFailure.setInt(3, next.failures());
        putFailure.setLong(4, next.windowEnd().toEpochMilli());
        putFailure.setLong(5, next.lastFailure().toEpochMilli());
        putFailure.executeUpdate();
        return next;
    }

    /** The pair's, the user's (gateway '') and the gateway's (user '') rows: identifiers are never empty. */
    FailureStanding standing(final UserId user, final GatewayId gateway) throws SQLException {
        return new FailureStanding(failureRow(user.value(), gateway.value()), failureRow(user.value(), ""),
                failureRow("", gateway.value()));
    }

    private FailureCount failureRow(final String user, final String gateway) throws SQLException {
        failureRow.setString(1, user);
        failureRow.setString(2, gateway);
        try (ResultSet rs = failureRow.executeQuery()) {
            return rs.next() ? new FailureCount(rs.getInt(1), Instant.ofEpochMilli(rs.getLong(2)),
                    Instant.ofEpochMilli(rs.getLong(3))) : FailureCount.NONE;
        }
    }
}
