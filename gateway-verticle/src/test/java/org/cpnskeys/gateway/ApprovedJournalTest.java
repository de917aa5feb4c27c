package org.cpnskeys.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.protocol.DigestAuthorization;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway's journal of approved Key Requests: durable, group-committed, compacted, no secrets. */
class ApprovedJournalTest {
    private final MessageCodec codec = new MessageCodec();

    @TempDir
    Path dir;

    private static KeyRequest proxy(final int i) {
        return KeyRequest.proxy(RequestId.of("r-" + i), EntityId.of("pne-" + i), Optional.of("sensor " + i));
    }

    @Test
    @DisplayName("approved requests not marked done are found again after reopening; done ones are not")
    void reopen_returnsOnlyUnfinished() throws Exception {
        final Vertx vertx = Vertx.vertx();
        try {
            try (ApprovedJournal j = ApprovedJournal.open(dir, codec)) {
                final List<Future<Void>> synced = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    synced.add(j.approved(proxy(i)));
                }
                Future.all(synced).await(30, TimeUnit.SECONDS);
                for (int i = 0; i < 10; i += 2) {
                    j.finished(EntityId.of("pne-" + i), RequestId.of("r-" + i));
                }
            }
            try (ApprovedJournal again = ApprovedJournal.open(dir, codec)) {
                final List<KeyRequest> open = again.unfinished();
                assertEquals(5, open.size());
                for (int k = 0; k < 5; k++) {
                    assertEquals(proxy(2 * k + 1), open.get(k), "oldest first, as sent");
                }
            }
            final Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir.resolve(ApprovedJournal.FILE_NAME));
            assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE), perms);
        } finally {
            vertx.close().await(30, TimeUnit.SECONDS);
        }
    }

    @Test
    @DisplayName("the journal never holds a digest answer nor ephemeral key material: a request is recorded as first"
            + " sent, without authorization and epk")
    void authorizationAndEphemeralKey_areNotStored() throws Exception {
        final org.cpnskeys.protocol.crypto.X25519.EphemeralKeyPair keys = org.cpnskeys.protocol.crypto.X25519.generate();
        final DigestAuthorization auth = new DigestAuthorization("alice", "cpns", "n0nce-0123456789",
                "cpns:key-request:pne-1:r-1:" + keys.publicKey().text(), "auth", "00000001", "cn0nce-abcdef12",
                "0123456789abcdef0123456789abcdef");
        final KeyRequest relayed = new KeyRequest(RequestId.of("r-1"), EntityId.of("pne-1"), false,
                Optional.of(UserId.of("alice")), Optional.empty(), Optional.of(keys.publicKey()), Optional.of(auth));
        try (ApprovedJournal j = ApprovedJournal.open(dir, codec)) {
            j.approved(relayed).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        final String text = Files.readString(dir.resolve(ApprovedJournal.FILE_NAME));
        assertFalse(text.contains("0123456789abcdef"), text);
        assertFalse(text.contains("authorization"), text);
        assertFalse(text.contains("epk"), text);
        assertFalse(text.contains(keys.publicKey().text()), text);
        try (ApprovedJournal again = ApprovedJournal.open(dir, codec)) {
            assertEquals(List.of(relayed.withoutAuthorization()), again.unfinished());
        }
    }

    @Test
    @DisplayName("a torn last line (crash mid-write) and garbage lines are skipped; the rest is resumed")
    void tornLine_isIgnored() throws Exception {
        final Path file = dir.resolve(ApprovedJournal.FILE_NAME);
        final String good = "A " + codec.encode(proxy(1)).toString(StandardCharsets.UTF_8) + "\n";
        final String torn = "A " + codec.encode(proxy(2)).toString(StandardCharsets.UTF_8).substring(0, 20);
        Files.writeString(file, good + "A {not json}\nX what\n" + torn, StandardOpenOption.CREATE_NEW);
        try (ApprovedJournal j = ApprovedJournal.open(dir, codec)) {
            assertEquals(List.of(proxy(1)), j.unfinished());
        }
        // compacted at open: only the open entry is left
        assertEquals(good, Files.readString(file));
    }

    @Test
    @DisplayName("group commit: 2,000 approvals at once take far fewer than 2,000 syncs")
    void manyApprovals_fewSyncs() throws Exception {
        final Vertx vertx = Vertx.vertx();
        try (ApprovedJournal j = ApprovedJournal.open(dir, codec)) {
            final int n = 2000;
            final long t0 = System.nanoTime();
            final java.util.concurrent.atomic.AtomicInteger onCallerContext = new java.util.concurrent.atomic.AtomicInteger();
            final io.vertx.core.Context caller = vertx.getOrCreateContext();
            final io.vertx.core.Promise<Void> all = io.vertx.core.Promise.promise();
            caller.runOnContext(v -> {
                final List<Future<Void>> synced = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    synced.add(j.approved(proxy(i)).onSuccess(x -> {
                        if (Vertx.currentContext() == caller) {
                            onCallerContext.incrementAndGet();
                        }
                    }));
                }
                Future.all(synced).<Void>mapEmpty().onComplete(all);
            });
            all.future().await(60, TimeUnit.SECONDS);
            assertEquals(n, onCallerContext.get(), "every future completes on the caller's context");
            final double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("journal: %d approvals durable in %.3f s (%.0f/s) with %d syncs%n", n, seconds,
                    n / seconds, j.syncs());
            assertTrue(j.syncs() < n / 4, "syncs: " + j.syncs());
        } finally {
            vertx.close().await(30, TimeUnit.SECONDS);
        }
    }

    @Test
    @DisplayName("the journal is compacted when it grows: done entries are dropped, open ones kept")
    void growth_compacts() throws Exception {
        final Path file = dir.resolve(ApprovedJournal.FILE_NAME);
        try (ApprovedJournal j = ApprovedJournal.open(dir, codec)) {
            j.approved(proxy(0)).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            final int perLine = ("A " + codec.encode(proxy(1)).toString(StandardCharsets.UTF_8)).length();
            final int rounds = (int) (ApprovedJournal.COMPACT_BYTES / perLine) + 1000;
            Future<Void> last = Future.succeededFuture();
            for (int i = 1; i <= rounds; i++) {
                last = j.approved(proxy(i));
                j.finished(EntityId.of("pne-" + i), RequestId.of("r-" + i));
            }
            last.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
            assertTrue(Files.size(file) < ApprovedJournal.COMPACT_BYTES, "size " + Files.size(file));
        }
        try (ApprovedJournal again = ApprovedJournal.open(dir, codec)) {
            assertEquals(List.of(proxy(0)), again.unfinished());
        }
    }
}
