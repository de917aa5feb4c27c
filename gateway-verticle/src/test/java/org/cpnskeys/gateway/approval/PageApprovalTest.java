package org.cpnskeys.gateway.approval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.RequestId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class PageApprovalTest {
    private final Vertx vertx = Vertx.vertx();
    private final PageApproval page = new PageApproval(vertx);

    @AfterEach
    void close() throws Exception {
        page.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private static ApprovalRequest request(final String id, final String entity, final Duration left) {
        return new ApprovalRequest(RequestId.of(id), EntityId.of(entity), true, Optional.of("a sensor"),
                "AAAA-BBBB-CCCC-DDDD", Instant.now().plus(left));
    }

    @Test
    void decide_thenUserApproves_futureApprovedAndHistoryRecords() throws Exception {
        final AtomicInteger changes = new AtomicInteger();
        page.onChange(changes::incrementAndGet);
        final Future<ApprovalDecision> f = page.decide(request("r1", "sensor-1", Duration.ofMinutes(1)));
        assertEquals(1, page.pending().size());
        assertSame(f, page.decide(request("r1", "sensor-1", Duration.ofMinutes(1))), "a retry shares the question");
        assertTrue(page.answer(RequestId.of("r1"), ApprovalDecision.APPROVED));
        assertEquals(ApprovalDecision.APPROVED, f.await(5, TimeUnit.SECONDS));
        assertTrue(page.pending().isEmpty());
        assertEquals(ApprovalDecision.APPROVED, page.history().get(0).decision());
        assertFalse(page.answer(RequestId.of("r1"), ApprovalDecision.DENIED), "answered once");
        assertEquals(ApprovalDecision.APPROVED,
                page.decide(request("r1", "sensor-1", Duration.ofMinutes(1))).await(5, TimeUnit.SECONDS));
        page.finished(EntityId.of("sensor-1"), RequestId.of("r1"), 200, "EUKey delivered");
        assertEquals(200, page.history().get(0).outcome().orElseThrow().status());
        assertTrue(changes.get() >= 3, "new request, decision and outcome were announced");
    }

    @Test
    void decide_nobodyAnswers_expires() throws Exception {
        final Future<ApprovalDecision> f = page.decide(request("r2", "lamp-1", Duration.ofMillis(200)));
        assertEquals(ApprovalDecision.EXPIRED, f.await(5, TimeUnit.SECONDS));
        assertTrue(page.pending().isEmpty());
        assertEquals(ApprovalDecision.EXPIRED, page.history().get(0).decision());
    }

    @Test
    void decide_nobodyAnswers_theExpiryIsAnnouncedSoThePageDropsIt() throws Exception {
        final AtomicInteger changes = new AtomicInteger();
        page.onChange(changes::incrementAndGet);
        final Future<ApprovalDecision> f = page.decide(request("r3", "lamp-2", Duration.ofMillis(200)));
        assertEquals(1, changes.get(), "the new request was announced");
        assertEquals(ApprovalDecision.EXPIRED, f.await(5, TimeUnit.SECONDS));
        final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (changes.get() < 2 && System.nanoTime() < end) {
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        assertEquals(2, changes.get(), "the expiry was announced");
    }

    @Test
    void decide_sameRequestIdOtherEntity_failsNeverSharesDecision() {
        page.decide(request("r3", "plug-1", Duration.ofMinutes(1)));
        assertTrue(page.decide(request("r3", "plug-2", Duration.ofMinutes(1))).failed());
    }
}
