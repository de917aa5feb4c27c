package org.cpnskeys.server.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.json.JsonObject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import org.cpnskeys.server.AuditLog;
import org.cpnskeys.server.store.AuditHead;

/**
 * {@code cpns audit verify}'s check on a real log written by {@link AuditLog}: a clean log passes, and each way of
 * tampering with the file alone (edit, removal, reordering, insertion, truncation, an edit chained again) is found,
 * with the first bad line named.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AuditVerifierTest {
    private static final int LINES = 6;

    @TempDir
    Path dir;
    private Path file;
    private List<String> lines;
    private AuditHead head;

    @BeforeEach
    void writeALog() throws Exception {
        file = dir.resolve("audit.jsonl");
        final AuditLog audit = AuditLog.open(file);
        for (int i = 1; i <= LINES; i++) {
            audit.record("delivered", "gw-1", "pne-" + i, "alice", true, 200, null, "key-" + i);
        }
        audit.close();
        lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
        head = new AuditHead("0123456789abcdef0123456789abcdef", LINES, AuditChain.hash(lines.get(LINES - 1).getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aCleanLog_passesWithItsHead() throws Exception {
        final AuditVerifier.Report r = AuditVerifier.verify(file, Optional.of(head));
        assertTrue(r.intact(), r.problem().orElse(""));
        assertEquals(LINES, r.lines());
        assertEquals(0, r.afterHead());
    }

    @Test
    void eachLine_startsWithItsNumberAndTheHashOfTheLineBefore() {
        String prev = AuditChain.GENESIS;
        for (int i = 0; i < LINES; i++) {
            final JsonObject o = new JsonObject(lines.get(i));
            assertEquals(List.of("seq", "prev"), new ArrayList<>(o.fieldNames()).subList(0, 2));
            assertEquals(i + 1, o.getLong("seq"));
            assertEquals(prev, o.getString("prev"));
            prev = AuditChain.hash(lines.get(i).getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void linesAfterTheHead_areCountedNotJudged() throws Exception {
        final AuditHead older = new AuditHead(head.log(), 4, AuditChain.hash(lines.get(3).getBytes(StandardCharsets.UTF_8)));
        final AuditVerifier.Report r = AuditVerifier.verify(file, Optional.of(older));
        assertTrue(r.intact(), r.problem().orElse(""));
        assertEquals(2, r.afterHead());
    }

    @Test
    void anEditedLine_isFoundAtTheLinkAfterIt() throws Exception {
        lines.set(2, lines.get(2).replace("\"alice\"", "\"mallory\""));
        assertBad(4, "its prev is not the hash of line 3");
    }

    @Test
    void anEditedLastLine_isFoundByTheHead() throws Exception {
        lines.set(LINES - 1, lines.get(LINES - 1).replace("\"alice\"", "\"mallory\""));
        assertBad(LINES, "is not the line the store's head recorded");
    }

    @Test
    void aRemovedLine_isFoundWhereItIsMissing() throws Exception {
        lines.remove(2);
        assertBad(3, "carries seq 4 where line 3 belongs");
    }

    @Test
    void twoSwappedLines_areFoundAtTheFirst() throws Exception {
        Collections.swap(lines, 1, 2);
        assertBad(2, "carries seq 3 where line 2 belongs");
    }

    @Test
    void anInsertedLine_isFoundWhereItStands() throws Exception {
        final JsonObject forged = new JsonObject(lines.get(1)).put("entity", "pne-forged");
        lines.add(2, forged.put("seq", 3).encode());
        assertBad(3, "its prev is not the hash of line 2");
    }

    @Test
    void aTruncatedLog_isFoundShorterThanTheHead() throws Exception {
        lines.subList(4, LINES).clear();
        assertBad(5, "lines 5 to 6 were removed (truncated)");
    }

    @Test
    void anEditChainedAgain_isFoundByTheHead() throws Exception {
        lines.set(2, lines.get(2).replace("\"alice\"", "\"mallory\""));
        String prev = AuditChain.hash(lines.get(1).getBytes(StandardCharsets.UTF_8));
        for (int i = 2; i < LINES; i++) {
            final String rechained = new JsonObject(lines.get(i)).put("prev", prev).encode();
            lines.set(i, rechained);
            prev = AuditChain.hash(rechained.getBytes(StandardCharsets.UTF_8));
        }
        assertBad(LINES, "is not the line the store's head recorded");
    }

    @Test
    void aLineThatIsNoJson_isFound() throws Exception {
        lines.set(0, "not json");
        assertBad(1, "not a JSON object");
    }

    private void assertBad(final long line, final String why) throws Exception {
        Files.write(file, lines, StandardCharsets.UTF_8);
        final AuditVerifier.Report r = AuditVerifier.verify(file, Optional.of(head));
        assertFalse(r.intact(), "tampering not found");
        assertEquals(line, r.badLine(), r.problem().get());
        assertTrue(r.problem().get().contains(why), r.problem().get());
    }
}
