package org.cpnskeys.protocol.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The group-commit writer under the SQLite store, the gateway's journal and the audit log. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class GroupCommitWriterTest {

    @Test
    void entriesQueuedWhileABatchRuns_areCommittedTogetherInQueueOrder() throws Exception {
        final CountDownLatch firstBatchEntered = new CountDownLatch(1);
        final CountDownLatch releaseFirstBatch = new CountDownLatch(1);
        final List<List<Integer>> batches = new CopyOnWriteArrayList<>();
        final GroupCommitWriter<Integer> writer = GroupCommitWriter.start("test-writer", 1000, batch -> {
            batches.add(List.copyOf(batch));
            firstBatchEntered.countDown();
            releaseFirstBatch.await();
        }, () -> { }, "closed");
        final List<Future<Void>> all = new ArrayList<>();
        all.add(writer.submit(0, null));
        assertTrue(firstBatchEntered.await(10, TimeUnit.SECONDS));
        IntStream.rangeClosed(1, 100).forEach(i -> all.add(writer.submit(i, null)));
        releaseFirstBatch.countDown();
        Future.all(all).await(10, TimeUnit.SECONDS);
        writer.closeAndWait(Duration.ofSeconds(10));

        assertEquals(List.of(List.of(0), IntStream.rangeClosed(1, 100).boxed().toList()), batches,
                "one commit for the first entry, one for the hundred queued meanwhile, each in queue order");
    }

    @Test
    void batches_neverExceedTheirMaximum() throws Exception {
        final CountDownLatch release = new CountDownLatch(1);
        final List<Integer> sizes = new CopyOnWriteArrayList<>();
        final GroupCommitWriter<Integer> writer = GroupCommitWriter.start("test-writer", 10, batch -> {
            sizes.add(batch.size());
            release.await();
        }, () -> { }, "closed");
        final List<Future<Void>> all = new ArrayList<>();
        IntStream.range(0, 35).forEach(i -> all.add(writer.submit(i, null)));
        release.countDown();
        Future.all(all).await(10, TimeUnit.SECONDS);
        writer.closeAndWait(Duration.ofSeconds(10));

        assertTrue(sizes.stream().allMatch(s -> s <= 10), sizes.toString());
        assertEquals(35, sizes.stream().mapToInt(Integer::intValue).sum());
    }

    @Test
    void aSubmittedEntry_completesOnTheSubmittersContextOnlyAfterItsBatchCommitted(final Vertx vertx,
            final VertxTestContext test) {
        final List<Integer> committed = new CopyOnWriteArrayList<>();
        final GroupCommitWriter<Integer> writer = GroupCommitWriter.start("test-writer", 100, committed::addAll,
                () -> { }, "closed");
        final Context context = vertx.getOrCreateContext();
        context.runOnContext(v -> writer.submit(7).onComplete(test.succeeding(x -> test.verify(() -> {
            assertSame(context, Vertx.currentContext());
            assertEquals(List.of(7), committed);
            writer.closeAndWait(Duration.ofSeconds(10));
            test.completeNow();
        }))));
    }

    @Test
    void aFailedCommit_failsEveryFutureOfItsBatchWithTheCause() throws Exception {
        final CountDownLatch release = new CountDownLatch(1);
        final IOException diskFull = new IOException("disk full");
        final GroupCommitWriter<Integer> writer = GroupCommitWriter.start("test-writer", 100, batch -> {
            release.await();
            throw diskFull;
        }, () -> { }, "closed");
        final Future<Void> first = writer.submit(1, null);
        final Future<Void> second = writer.submit(2, null);
        release.countDown();
        for (final Future<Void> f : List.of(first, second)) {
            f.transform(ar -> Future.succeededFuture()).await(10, TimeUnit.SECONDS);
            assertTrue(f.failed());
            assertSame(diskFull, f.cause());
        }
        writer.closeAndWait(Duration.ofSeconds(10));
    }

    @Test
    void close_commitsWhatWasQueuedThenStopsAndRefusesMore() throws Exception {
        final List<Integer> committed = new CopyOnWriteArrayList<>();
        final List<String> events = new CopyOnWriteArrayList<>();
        final GroupCommitWriter<Integer> writer = GroupCommitWriter.start("test-writer", 100, batch -> {
            committed.addAll(batch);
            events.add("commit");
        }, () -> events.add("stop"), "the test writer is closed");
        IntStream.range(0, 50).forEach(writer::enqueue);
        writer.close(null).await(10, TimeUnit.SECONDS);

        assertEquals(IntStream.range(0, 50).boxed().toList(), committed);
        assertEquals("stop", events.get(events.size() - 1));
        final Future<Void> late = writer.submit(99, null);
        assertTrue(late.failed());
        assertInstanceOf(IllegalStateException.class, late.cause());
        assertEquals("the test writer is closed", late.cause().getMessage());
    }
}
