package org.cpnskeys.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.RequestId;

/**
 * The SQLite store's consent receipts ({@code consent_receipt}) and the head of the hash-chained audit log
 * ({@code audit_head}). Confined to the store's writer thread, like every statement on its connection.
 */
final class SqliteAuditRecords {
    private final PreparedStatement insertConsent;
    private final PreparedStatement selectConsents;
    private final PreparedStatement advanceHead;
    private final PreparedStatement selectHead;

    SqliteAuditRecords(final Connection connection) throws SQLException {
        this.insertConsent = connection.prepareStatement(
                "INSERT INTO consent_receipt (entity_id, request_id, receipt) VALUES (?, ?, ?) ON CONFLICT DO NOTHING");
        this.selectConsents = connection.prepareStatement(
                "SELECT request_id, receipt FROM consent_receipt WHERE entity_id = ? ORDER BY request_id");
        this.advanceHead = connection.prepareStatement("INSERT INTO audit_head (log, lines, hash) VALUES (?, ?, ?)"
                + " ON CONFLICT (log) DO UPDATE SET lines = excluded.lines, hash = excluded.hash"
                + " WHERE excluded.lines > audit_head.lines");
        this.selectHead = connection.prepareStatement("SELECT lines, hash FROM audit_head WHERE log = ?");
    }

    void storeConsent(final EntityId entityId, final RequestId requestId, final String receipt) throws SQLException {
        insertConsent.setString(1, entityId.value());
        insertConsent.setString(2, requestId.value());
        insertConsent.setString(3, receipt);
        insertConsent.executeUpdate();
    }

    Map<RequestId, String> consents(final EntityId entityId) throws SQLException {
        selectConsents.setString(1, entityId.value());
        final Map<RequestId, String> out = new LinkedHashMap<>();
        try (ResultSet rs = selectConsents.executeQuery()) {
            while (rs.next()) {
                out.put(RequestId.of(rs.getString(1)), rs.getString(2));
            }
        }
        return out;
    }

    void advanceAuditHead(final AuditHead head) throws SQLException {
        advanceHead.setString(1, head.log());
        advanceHead.setLong(2, head.lines());
        advanceHead.setString(3, head.hash());
        advanceHead.executeUpdate();
    }

    Optional<AuditHead> auditHead(final String log) throws SQLException {
        selectHead.setString(1, log);
        try (ResultSet rs = selectHead.executeQuery()) {
            return rs.next() ? Optional.of(new AuditHead(log, rs.getLong(1), rs.getString(2))) : Optional.empty();
        }
    }
}
