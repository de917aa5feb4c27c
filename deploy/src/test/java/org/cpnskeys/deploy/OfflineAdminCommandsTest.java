package org.cpnskeys.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.SecretFiles;
import org.cpnskeys.server.auth.HtdigestFile;
import org.cpnskeys.server.store.KeyInfo;
import org.cpnskeys.server.store.KeyState;
import org.cpnskeys.server.store.Admission;
import org.cpnskeys.server.store.DigestUse;
import org.cpnskeys.server.store.NewKey;
import org.cpnskeys.server.AuditLog;
import org.cpnskeys.server.store.SqliteEuKeyRepository;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code cpns keys} and {@code cpns user} on a stopped server: they act on its SQLite store and htdigest file. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public class OfflineAdminCommandsTest {
    @TempDir
    Path data;

    /** What one CLI run printed and returned. */
    public record Run(int code, String out, String err) {
    }

    /** Runs {@code cpns args...} as the launcher would, capturing its output (also for the e2e tests). */
    public static synchronized Run cpns(final String stdin, final String... args) {
        final PrintStream out = System.out;
        final PrintStream err = System.err;
        final InputStream in = System.in;
        final ByteArrayOutputStream o = new ByteArrayOutputStream();
        final ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            final int code = Cpns.commandLine().execute(args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
            System.setIn(in);
        }
    }

    private List<KeyInfo> storeWith(final String... entities) throws Exception {
        final Vertx vertx = Vertx.vertx();
        try {
            final SqliteEuKeyRepository store = SqliteEuKeyRepository.open(vertx, data.resolve("eukeys.db"))
                    .await(20, TimeUnit.SECONDS);
            long nc = 0;
            for (final String e : entities) {
                store.assign(new NewKey(EntityId.of(e), UserId.of("alice"), GatewayId.of("gw"), RequestId.of("r-" + e),
                        KeyId.of("k-" + e), true, new byte[60], 2, Instant.now().truncatedTo(ChronoUnit.MICROS)),
                        new DigestUse(new byte[40], ++nc, Instant.now().plusSeconds(300)), Admission.ANY)
                        .await(20, TimeUnit.SECONDS);
            }
            final List<KeyInfo> all = store.list().await(20, TimeUnit.SECONDS);
            store.close().await(20, TimeUnit.SECONDS);
            return all;
        } finally {
            vertx.close().await(20, TimeUnit.SECONDS);
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Verifies that with no admin token (the server never ran its admin API) revoke and release act on the store. */
    @Test
    void keysRevokeAndRelease_noToken_actOnStoreAndAudit() throws Exception {
        storeWith("dev-1", "dev-2");
        final Run revoke = cpns("", "keys", "revoke", "--entity", "dev-1", "--data", data.toString());
        assertEquals(0, revoke.code(), revoke.err());
        final Run release = cpns("", "keys", "release", "--entity", "dev-2", "--data", data.toString());
        assertEquals(0, release.code(), release.err());
        final Run list = cpns("", "keys", "list", "--data", data.toString());
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith("dev-1") && l.contains("REVOKED")), list.out());
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith("dev-2") && l.contains("RELEASED")), list.out());
        assertEquals(3, cpns("", "keys", "revoke", "--entity", "dev-1", "--data", data.toString()).code(),
                "nothing left to revoke");
        final String audit = Files.readString(data.resolve("audit.jsonl"));
        assertTrue(audit.contains("\"action\":\"revoke\"") && audit.contains("\"actor\":\"cli-offline:"), audit);
    }

    /** Verifies that with a token but nothing listening at the admin URL (server stopped) the store is used, saying so. */
    /** {@code cpns audit verify} on a stopped server: the head from its SQLite store; a truncated log is found. */
    @Test
    void auditVerify_serverStopped_readsTheHeadFromTheStoreAndFindsATruncation() throws Exception {
        final Vertx vertx = Vertx.vertx();
        try {
            final SqliteEuKeyRepository store = SqliteEuKeyRepository.open(vertx, data.resolve("eukeys.db"))
                    .await(10, TimeUnit.SECONDS);
            final AuditLog audit = AuditLog.open(data.resolve("audit.jsonl"));
            audit.anchor(vertx, store).await(10, TimeUnit.SECONDS);
            for (int i = 0; i < 4; i++) {
                audit.record("delivered", "gw-1", "dev-" + i, "alice", true, 200, null, "key-" + i);
            }
            audit.close();
            store.close().await(10, TimeUnit.SECONDS);
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
        final Run clean = cpns("", "audit", "verify", "--offline", "--data", data.toString());
        assertEquals(0, clean.code(), clean.out() + clean.err());
        assertTrue(clean.out().contains("intact, 4 lines"), clean.out());

        final java.util.List<String> lines = Files.readAllLines(data.resolve("audit.jsonl"), StandardCharsets.UTF_8);
        Files.write(data.resolve("audit.jsonl"), lines.subList(0, 3), StandardCharsets.UTF_8);
        final Run truncated = cpns("", "audit", "verify", "--offline", "--data", data.toString());
        assertEquals(1, truncated.code(), truncated.out() + truncated.err());
        assertTrue(truncated.out().contains("TAMPERED at line 4"), truncated.out());
    }

    @Test
    void keysRevoke_serverStopped_fallsBackToStore() throws Exception {
        storeWith("dev-3");
        SecretFiles.writeNew(data.resolve("admin.token"), "a-token-of-a-server-that-is-not-running-now".getBytes(StandardCharsets.US_ASCII));
        final Run revoke = cpns("", "keys", "revoke", "--entity", "dev-3", "--data", data.toString(), "--admin-url",
                "http://127.0.0.1:" + freePort());
        assertEquals(0, revoke.code(), revoke.err());
        assertTrue(revoke.err().contains("the server is not running"), revoke.err());
        assertTrue(revoke.out().contains("revoked: entity dev-3"), revoke.out());
    }

    /** Verifies that user add, list and remove edit the htdigest file of a stopped server. */
    @Test
    void userAddListRemove_serverStopped_editFile() throws Exception {
        final Path file = data.resolve("users.htdigest");
        assertEquals(0, cpns("pw-1\n", "user", "add", "--password-stdin", "--file", file.toString(), "erin").code());
        assertEquals(0, cpns("pw-2\n", "user", "add", "--password-stdin", "--file", file.toString(), "fred").code());
        assertEquals(List.of("erin", "fred"), cpns("", "user", "list", "--file", file.toString()).out().lines().toList());
        assertEquals(0, cpns("", "user", "remove", "--file", file.toString(), "erin").code());
        assertEquals(List.of("fred"), HtdigestFile.read(file).users());
        assertEquals(3, cpns("", "user", "remove", "--file", file.toString(), "erin").code());
    }
}
