package org.cpnskeys.gateway.approval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.protocol.ConsentReceipt;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.ConsentSignature;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway's consent signer: alone on the caller's thread, or in batches under one signature. */
class ConsentSignerTest {
    private static final GatewayId GW = GatewayId.of("home-gw");
    private static final Instant AT = Instant.parse("2026-12-07T23:00:00.001Z");

    @TempDir
    Path dir;

    private byte[] publicKey() throws Exception {
        return ConsentSignature.parsePublicKey(Files.readString(dir.resolve(ConsentSigner.PUBLIC_FILE)), "key");
    }

    @Test
    void withoutLinger_eachReceiptIsSignedAlone_atOnce() throws Exception {
        try (ConsentSigner signer = ConsentSigner.loadOrCreate(dir, GW, "rule")) {
            final CompletableFuture<ConsentReceipt> r = signer.sign(RequestId.of("r1"), EntityId.of("e1"),
                    UserId.of("alice"), Optional.empty(), AT);
            assertTrue(r.isDone());
            assertTrue(r.get().batch().isEmpty());
            assertTrue(ConsentSignature.verify(r.get(), publicKey()));
        }
    }

    /** Approvals within the linger share one signature; each receipt names its own request and verifies. */
    @Test
    void withLinger_approvalsThatComeTogether_shareOneSignature_eachVerifies() throws Exception {
        try (ConsentSigner signer = ConsentSigner.batching(dir, GW, "rule", Duration.ofMillis(500))) {
            final List<CompletableFuture<ConsentReceipt>> pending = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                pending.add(signer.sign(RequestId.of("r" + i), EntityId.of("e" + i), UserId.of("alice"),
                        Optional.empty(), AT));
            }
            final byte[] pub = publicKey();
            final List<ConsentReceipt> receipts = new ArrayList<>();
            for (final CompletableFuture<ConsentReceipt> f : pending) {
                receipts.add(f.get(10, TimeUnit.SECONDS));
            }
            for (int i = 0; i < 10; i++) {
                final ConsentReceipt r = receipts.get(i);
                assertEquals(RequestId.of("r" + i), r.requestId());
                assertEquals(10, r.batch().orElseThrow().size(), "all ten within the linger");
                assertEquals(i, r.batch().get().index());
                assertArrayEquals(receipts.get(0).signature(), r.signature());
                assertTrue(ConsentSignature.verify(r, pub), r.toString());
            }
        }
    }

    @Test
    void close_failsWhatWaits_andRefusesMore() throws Exception {
        final ConsentSigner signer = ConsentSigner.batching(dir, GW, "rule", Duration.ofSeconds(30));
        final CompletableFuture<ConsentReceipt> waiting = signer.sign(RequestId.of("r1"), EntityId.of("e1"),
                UserId.of("alice"), Optional.empty(), AT);
        signer.close();
        assertThrows(ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS));
        assertThrows(ExecutionException.class, () -> signer.sign(RequestId.of("r2"), EntityId.of("e2"),
                UserId.of("alice"), Optional.empty(), AT).get(10, TimeUnit.SECONDS));
    }

    /**
     * Approvals signed while the signer closes: each gets an answer, a receipt or the refusal, none is left waiting
     * (the gateway's stop must not strand a Key Request). Repeated so that close lands between a caller's check and
     * its enqueue at least some of the time.
     */
    @Test
    void close_whileApprovalsArrive_everyOneIsAnswered() throws Exception {
        for (int round = 0; round < 50; round++) {
            final ConsentSigner signer = ConsentSigner.batching(dir, GW, "rule", Duration.ofMillis(1));
            final List<CompletableFuture<ConsentReceipt>> asked = java.util.Collections.synchronizedList(new ArrayList<>());
            final Thread caller = new Thread(() -> {
                for (int i = 0; i < 200; i++) {
                    asked.add(signer.sign(RequestId.of("r" + i), EntityId.of("e" + i), UserId.of("alice"),
                            Optional.empty(), AT));
                }
            });
            caller.start();
            signer.close();
            caller.join(10_000);
            synchronized (asked) {
                for (final CompletableFuture<ConsentReceipt> f : asked) {
                    try {
                        f.get(10, TimeUnit.SECONDS);
                    } catch (ExecutionException refused) {
                        assertEquals("the consent signer is closed", refused.getCause().getMessage());
                    }
                }
            }
        }
    }
}
