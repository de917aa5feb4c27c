package org.cpnskeys.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.server.audit.AuditChain;
import org.cpnskeys.server.audit.AuditVerifier;
import org.cpnskeys.server.store.AuditHead;
import org.cpnskeys.server.store.SqliteEuKeyRepository;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cpns audit verify}: reads the audit log and the head the EUKey store keeps (through the running server's
 * admin API, or from the SQLite store of a stopped one) and reports the first bad line. Reads only: the log and
 * the store are not changed.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Verifies the audit log's hash chain and that it still holds the line the EUKey store's head",
                "records: any edited, removed, reordered, inserted or truncated line is reported (the first bad",
                "line), exit 1; a clean log exits 0. Lines written after the head's last update are counted."})
final class AuditVerifyCommand implements Callable<Integer> {
    @Mixin
    ServerDataOptions server = new ServerDataOptions();

    @Mixin
    AdminOptions admin = new AdminOptions();

    @Option(names = "--log", description = "The audit log (default <data>/audit.jsonl).")
    Path log;

    @Override
    public Integer call() throws Exception {
        final Path file = file();
        final String logId = AuditChain.existingLogId(file).orElseThrow(() -> new IllegalArgumentException(
                "no audit log ID at " + AuditChain.idFile(file) + ": the store keeps each log's head under the ID"
                        + " made with the log, so " + file + " cannot be checked without it"));
        final AuditVerifier.Report r = AuditVerifier.verify(file, head(logId));
        if (!r.intact()) {
            System.out.println("audit log " + file + ": TAMPERED at line " + r.badLine() + ": " + r.problem().get());
            return 1;
        }
        System.out.println("audit log " + file + ": intact, " + r.lines() + " lines"
                + (r.afterHead() > 0 ? " (" + r.afterHead() + " written after the store's head was last updated)" : ""));
        return 0;
    }

    private Path file() {
        return log != null ? log : server.data.resolve("audit.jsonl");
    }

    /** The store's head: from the running server, else from the stopped server's SQLite store. */
    private Optional<AuditHead> head(final String logId) throws Exception {
        if (!admin.offline) {
            final Optional<AdminClient> client = AdminClient.ifTokenExists(admin.url, admin.tokenFile(server.data));
            if (client.isPresent()) {
                try {
                    final JsonObject h = AdminClient.expect(client.get().get("audit-head"), 200);
                    if (h.containsKey("log") && !logId.equals(h.getString("log"))) {
                        throw new IllegalArgumentException("the running server's audit log has the ID " + h.getString("log")
                                + ", not " + logId + " (" + AuditChain.idFile(file()) + "): give its own log with --log");
                    }
                    return h.containsKey("lines") ? Optional.of(new AuditHead(logId, h.getLong("lines"),
                            h.getString("hash"))) : Optional.empty();
                } catch (AdminClient.Unreachable e) {
                    System.err.println(e.getMessage() + ": the server is not running; reading its store directly");
                }
            }
        }
        final Path db = server.data.resolve("eukeys.db");
        if (!Files.exists(db)) {
            throw new IllegalArgumentException("no key store at " + db + " to read the audit head from (a server on"
                    + " PostgreSQL is reached through its admin API only)");
        }
        final Vertx vertx = Cli.newVertx();
        try {
            final SqliteEuKeyRepository store = Cli.await(SqliteEuKeyRepository.open(vertx, db), "opening the key store");
            try {
                return Cli.await(store.auditHead(logId), "reading the audit head");
            } finally {
                Cli.await(store.close(), "closing");
            }
        } finally {
            vertx.close();
        }
    }
}
