package org.cpnskeys.server.audit;

import static org.cpnskeys.server.TestFutures.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.cpnskeys.server.AuditLog;
import org.cpnskeys.server.store.AuditHead;
import org.cpnskeys.server.store.SqliteEuKeyRepository;

/**
 * The audit log anchored in a real SQLite store: the store's head follows the log once it is durable, and a log
 * edited, truncated or replaced while the server was down is refused when the server anchors it again.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AuditHeadTest {
    @TempDir
    Path dir;
    private Vertx vertx;
    private SqliteEuKeyRepository store;
    private Path file;

    @BeforeEach
    void open(final Vertx v) {
        vertx = v;
        store = await(SqliteEuKeyRepository.open(vertx, dir.resolve("eukeys.db")));
        file = dir.resolve("audit.jsonl");
    }

    @AfterEach
    void close() {
        await(store.close());
    }

    @Test
    void anAnchoredLog_leavesTheStoreHeadAtItsLastLineOnceClosed() throws Exception {
        writeAnchored(5);
        final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(Optional.of(new AuditHead(logId(), 5, AuditChain.hash(lines.get(4).getBytes(StandardCharsets.UTF_8)))),
                await(store.auditHead(logId())));
        assertTrue(AuditVerifier.verify(file, await(store.auditHead(logId()))).intact());
    }

    @Test
    void aLogEditedWhileTheServerWasDown_isRefusedAtTheNextAnchor() throws Exception {
        writeAnchored(3);
        final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        Files.write(file, List.of(lines.get(0), lines.get(1), lines.get(2).replace("pne-3", "pne-x")),
                StandardCharsets.UTF_8);
        assertAnchorRefused();
    }

    @Test
    void aLogTruncatedOrReplacedWhileTheServerWasDown_isRefusedAtTheNextAnchor() throws Exception {
        writeAnchored(3);
        Files.delete(file);
        assertAnchorRefused();
    }

    @Test
    void aLogThatGrewCleanly_isAnchoredAgainAndItsChainGoesOn() throws Exception {
        writeAnchored(2);
        writeAnchored(2);
        assertEquals(4, await(store.auditHead(logId())).orElseThrow().lines());
        assertTrue(AuditVerifier.verify(file, await(store.auditHead(logId()))).intact());
    }

    @Test
    void twoServersOnOneStore_eachAnchorsItsOwnLog() throws Exception {
        writeAnchored(3);
        final Path otherFile = dir.resolve("other").resolve("audit.jsonl");
        final AuditLog other = AuditLog.open(otherFile);
        await(other.anchor(vertx, store));
        other.record("delivered", "gw-2", "pne-9", "bob", true, 200, null, "key-9");
        other.close();
        writeAnchored(1);
        assertEquals(4, await(store.auditHead(logId())).orElseThrow().lines());
        final String otherId = AuditChain.existingLogId(otherFile).orElseThrow();
        assertEquals(1, await(store.auditHead(otherId)).orElseThrow().lines());
        assertTrue(AuditVerifier.verify(otherFile, await(store.auditHead(otherId))).intact());
    }

    @Test
    void aLogWrittenBeforeItsFirstAnchor_isAnchoredAtItsEnd_andAnEditLaterIsRefused() throws Exception {
        final AuditLog offline = AuditLog.open(file);
        offline.record("user-added", "-", "-", "alice", false, 200, null, null);
        offline.record("user-added", "-", "-", "bob", false, 200, null, null);
        offline.close();
        writeAnchored(1);
        assertEquals(3, await(store.auditHead(logId())).orElseThrow().lines());
        final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        Files.write(file, List.of(lines.get(0).replace("alice", "mallory"), lines.get(1), lines.get(2)),
                StandardCharsets.UTF_8);
        assertTrue(!AuditVerifier.verify(file, await(store.auditHead(logId()))).intact());
    }

    private String logId() throws Exception {
        return AuditChain.existingLogId(file).orElseThrow();
    }

    private void writeAnchored(final int n) throws Exception {
        final AuditLog audit = AuditLog.open(file);
        await(audit.anchor(vertx, store));
        for (int i = 1; i <= n; i++) {
            audit.record("delivered", "gw-1", "pne-" + i, "alice", true, 200, null, "key-" + i);
        }
        audit.close();
    }

    private void assertAnchorRefused() throws Exception {
        final AuditLog audit = AuditLog.open(file);
        try {
            final IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> await(audit.anchor(vertx, store)));
            assertTrue(e.getMessage().contains("does not match the head the EUKey store keeps"), e.getMessage());
        } finally {
            audit.close();
        }
    }
}
