package org.cpnskeys.gateway.approval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedReader;
import java.io.PipedWriter;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.RequestId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConsoleApprovalTest {
    private static final String FINGERPRINT = "AB12-CD34-EF56-7890";

    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
    private PipedWriter typing;
    private ConsoleApproval approval;

    @BeforeEach
    void setUp(final Vertx vertx) throws IOException {
        typing = new PipedWriter();
        approval = new ConsoleApproval(vertx, new BufferedReader(new PipedReader(typing)), out);
    }

    @AfterEach
    void tearDown() throws IOException {
        approval.close();
        typing.close();
    }

    private static ApprovalRequest request(final String requestId, final String entity, final Duration left) {
        return new ApprovalRequest(RequestId.of(requestId), EntityId.of(entity), true, Optional.of("Kitchen bulb"),
                FINGERPRINT, Instant.now().plus(left));
    }

    private void type(final String line) throws IOException {
        typing.write(line + "\n");
        typing.flush();
    }

    private String printed() {
        return output.toString(StandardCharsets.UTF_8);
    }

    /** Verifies that the request is shown with its number, entity, description and fingerprint, and "y 1" approves. */
    @Test
    void decide_userTypesYes_approved(final VertxTestContext test) throws IOException {
        final Future<ApprovalDecision> decision = approval.decide(request("r1", "bulb-1", Duration.ofSeconds(20)));

        final String shown = printed();
        assertTrue(shown.contains("[approval 1]"), shown);
        assertTrue(shown.contains("bulb-1"), shown);
        assertTrue(shown.contains("Kitchen bulb"), shown);
        assertTrue(shown.contains(FINGERPRINT), shown);
        assertTrue(shown.matches("(?s).*expires in (20|19) s.*"), shown);
        type("y 1");

        decision.onComplete(test.succeeding(d -> test.verify(() -> {
            assertEquals(ApprovalDecision.APPROVED, d);
            assertTrue(printed().contains("approved"), printed());
            assertTrue(approval.pendingRequests().isEmpty());
            test.completeNow();
        })));
    }

    /** Verifies that a bare "n" denies the only pending request. */
    @Test
    void decide_userTypesNo_denied(final VertxTestContext test) throws IOException {
        final Future<ApprovalDecision> decision = approval.decide(request("r1", "bulb-1", Duration.ofSeconds(20)));

        type("n");

        decision.onComplete(test.succeeding(d -> test.verify(() -> {
            assertEquals(ApprovalDecision.DENIED, d);
            assertTrue(printed().contains("denied"), printed());
            test.completeNow();
        })));
    }

    /** Verifies that an unanswered request expires on its own, with a printed notice. */
    @Test
    void decide_noAnswer_expired(final VertxTestContext test) {
        final Future<ApprovalDecision> decision = approval.decide(request("r1", "bulb-1", Duration.ofMillis(300)));

        decision.onComplete(test.succeeding(d -> test.verify(() -> {
            assertEquals(ApprovalDecision.EXPIRED, d);
            assertTrue(printed().contains("expired"), printed());
            assertTrue(approval.pendingRequests().isEmpty());
            test.completeNow();
        })));
    }

    /** Verifies that a late answer to an expired request changes nothing. */
    @Test
    void decide_answerAfterExpiry_staysExpired(final VertxTestContext test) {
        final ApprovalRequest request = request("r1", "bulb-1", Duration.ofMillis(200));

        approval.decide(request).onComplete(test.succeeding(d -> test.verify(() -> {
            assertEquals(ApprovalDecision.EXPIRED, d);
            approval.handleLine("y 1");
            assertTrue(printed().contains("No pending Key Request has number 1"), printed());
            assertEquals(ApprovalDecision.EXPIRED, approval.decide(request).result());
            test.completeNow();
        })));
    }

    /** Verifies idempotency: the same future while pending, the same decision once decided. */
    @Test
    void decide_sameRequestTwice_sameFutureThenSameDecision(final VertxTestContext test) throws IOException {
        final ApprovalRequest request = request("r1", "bulb-1", Duration.ofSeconds(20));
        final Future<ApprovalDecision> first = approval.decide(request);
        final ApprovalRequest retry = request("r1", "bulb-1", Duration.ofSeconds(25));

        assertSame(first, approval.decide(retry));
        assertEquals(1, approval.pendingRequests().size());
        type("y");

        first.onComplete(test.succeeding(d -> test.verify(() -> {
            assertEquals(ApprovalDecision.APPROVED, d);
            final Future<ApprovalDecision> again = approval.decide(retry);
            assertTrue(again.succeeded());
            assertEquals(ApprovalDecision.APPROVED, again.result());
            assertTrue(approval.pendingRequests().isEmpty());
            test.completeNow();
        })));
    }

    /** Verifies that a request id reused by another PNE fails instead of sharing the first PNE's answer. */
    @Test
    void decide_requestIdReusedByAnotherEntity_fails(final VertxTestContext test) {
        approval.decide(request("r1", "bulb-1", Duration.ofSeconds(20)));

        approval.decide(request("r1", "camera-1", Duration.ofSeconds(20)))
                .onComplete(test.failing(e -> test.verify(() -> {
                    assertTrue(e instanceof IllegalArgumentException);
                    assertEquals(1, approval.pendingRequests().size());
                    test.completeNow();
                })));
    }

    /** Verifies that with two pending requests a bare answer asks for the number, and numbers pick the request. */
    @Test
    void decide_twoPending_numbersSelect(final VertxTestContext test) throws IOException {
        final Future<ApprovalDecision> first = approval.decide(request("r1", "bulb-1", Duration.ofSeconds(20)));
        final Future<ApprovalDecision> second = approval.decide(request("r2", "sensor-2", Duration.ofSeconds(20)));
        assertTrue(printed().contains("[approval 2]"), printed());

        type("y");
        type("n 2");
        type("yes 1");

        Future.all(first, second).onComplete(test.succeeding(all -> test.verify(() -> {
            assertEquals(ApprovalDecision.APPROVED, first.result());
            assertEquals(ApprovalDecision.DENIED, second.result());
            assertTrue(printed().contains("2 Key Requests are pending"), printed());
            test.completeNow();
        })));
    }

    /** Verifies that the device's description cannot inject terminal escapes or fake lines. */
    @Test
    void decide_descriptionWithControlCharacters_printedWithoutThem(final VertxTestContext test) {
        final ApprovalRequest request = new ApprovalRequest(RequestId.of("r1"), EntityId.of("bulb-1"), true,
                Optional.of("Lamp\u001b[2J\n[approval 9] fake\u202e"), FINGERPRINT, Instant.now().plusSeconds(20));

        approval.decide(request);

        test.verify(() -> {
            assertFalse(printed().contains("\u001b"));
            assertFalse(printed().contains("\u202e"));
            assertTrue(printed().contains("description: Lamp[2J[approval 9] fake\n"), printed());
        });
        test.completeNow();
    }

    /** Verifies that the decision completes on the context of the caller of decide. */
    @Test
    void decide_fromContext_completesOnThatContext(final Vertx vertx, final VertxTestContext test) {
        final Context context = vertx.getOrCreateContext();
        context.runOnContext(v -> {
            approval.decide(request("r1", "bulb-1", Duration.ofSeconds(20)))
                    .onComplete(test.succeeding(d -> test.verify(() -> {
                        assertSame(context, Vertx.currentContext());
                        assertEquals(ApprovalDecision.DENIED, d);
                        test.completeNow();
                    })));
            test.verify(() -> type("n 1"));
        });
    }

    /** Verifies that an already expired request is EXPIRED at once, without being shown. */
    @Test
    void decide_alreadyExpired_expiredAtOnce() {
        final Future<ApprovalDecision> decision = approval.decide(request("r1", "bulb-1", Duration.ofSeconds(-1)));

        assertEquals(ApprovalDecision.EXPIRED, decision.result());
        assertEquals("", printed());
    }

    /** Verifies that closing fails pending requests (nobody said no) and refuses new ones. */
    @Test
    void close_pendingRequest_failsIt(final VertxTestContext test) {
        final Future<ApprovalDecision> decision = approval.decide(request("r1", "bulb-1", Duration.ofSeconds(20)));

        approval.close();

        decision.onComplete(test.failing(e -> test.verify(() -> {
            assertTrue(e instanceof IllegalStateException);
            assertTrue(approval.decide(request("r2", "bulb-2", Duration.ofSeconds(20))).failed());
            test.completeNow();
        })));
    }

    /** Verifies that unknown input prints help and decides nothing. */
    @Test
    void handleLine_gibberish_printsHelp() {
        approval.decide(request("r1", "bulb-1", Duration.ofSeconds(20)));

        approval.handleLine("maybe later");
        approval.handleLine("y x");

        assertTrue(printed().contains("Answer \"y <number>\""), printed());
        assertEquals(1, approval.pendingRequests().size());
    }
}
