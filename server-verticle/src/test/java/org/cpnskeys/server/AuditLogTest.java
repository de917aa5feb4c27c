package org.cpnskeys.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import io.vertx.core.json.JsonObject;

import org.cpnskeys.server.audit.AuditVerifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The audit file: one JSON line per event, in order, all on disk once closed, owner-only. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AuditLogTest {
    @TempDir
    Path dir;

    @Test
    void eventsRecordedBeforeClose_areAllInTheFileInOrder() throws Exception {
        final Path file = dir.resolve("audit/audit.log");
        final AuditLog audit = AuditLog.open(file);
        IntStream.range(0, 3000).forEach(i ->
                audit.record("assigned", "gw-1", "entity-" + i, "alice", true, 200, null, "key-" + i));
        audit.admin("admin@127.0.0.1", "revoke", "entity-0", null, "ok", null);
        audit.close();

        final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(3001, lines.size());
        for (int i = 0; i < 3000; i++) {
            final JsonObject line = new JsonObject(lines.get(i));
            assertEquals("entity-" + i, line.getString("entity"));
            assertEquals("key-" + i, line.getString("keyId"));
            assertFalse(line.containsKey("reason"), "no reason field when there is none");
        }
        assertEquals("revoke", new JsonObject(lines.get(3000)).getString("action"));
    }

    @Test
    void theFile_isOwnerOnlyAndAppendedToOnReopen() throws Exception {
        final Path file = dir.resolve("audit.log");
        final AuditLog first = AuditLog.open(file);
        first.record("refused", "gw-1", "e", "alice", false, 401, "bad answer", null);
        first.close();
        final AuditLog second = AuditLog.open(file);
        second.record("assigned", "gw-1", "e", "alice", false, 200, null, "k");
        second.close();

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(List.of("refused", "assigned"), Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                .map(l -> new JsonObject(l).getString("event")).toList());
    }

    @Test
    void aLineTornByACrash_isCutOffAndTheChainGoesOn() throws Exception {
        final Path file = dir.resolve("audit.jsonl");
        final AuditLog first = AuditLog.open(file);
        first.record("delivered", "gw-1", "e", "alice", true, 200, null, "k1");
        first.close();
        Files.writeString(file, "{\"seq\":2,\"prev\":\"00", StandardOpenOption.APPEND);
        final AuditLog second = AuditLog.open(file);
        second.record("delivered", "gw-1", "e", "alice", true, 200, null, "k2");
        second.close();

        final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(List.of("k1", "k2"), lines.stream().map(l -> new JsonObject(l).getString("keyId")).toList());
        assertTrue(AuditVerifier.verify(file, Optional.empty()).intact());
    }
}
