package org.cpnskeys.gateway.approval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
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

/**
 * Attack (issue [H] 4f): a device times its Key Request so that the user's answer to another request lands on it.
 * The user reads "[approval 1] ... bulb-1" and types {@code y 1} or a bare {@code y}; just before, bulb-1's request
 * went away (it expired, or was answered) and the attacker's arrived. The console must not reuse the number 1 for
 * the newcomer, and a bare {@code y} must not approve a request that was not the one on screen.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConsoleApprovalAttackTest {
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
    private ConsoleApproval approval;

    @BeforeEach
    void setUp(final Vertx vertx) {
        // lines are handed to handleLine by the test, at the moment it chooses
        approval = new ConsoleApproval(vertx, new BufferedReader(new StringReader("")), out);
    }

    @AfterEach
    void tearDown() {
        approval.close();
    }

    private static ApprovalRequest request(final String requestId, final String entity, final Duration left) {
        return new ApprovalRequest(RequestId.of(requestId), EntityId.of(entity), true, Optional.empty(),
                "AB12-CD34-EF56-7890", Instant.now().plus(left));
    }

    @Test
    void lateNumberedAnswer_afterTheShownRequestExpired_doesNotApproveTheNewcomer(final VertxTestContext test) {
        approval.decide(request("r1", "bulb-1", Duration.ofMillis(200))).onComplete(test.succeeding(first -> {
            final Future<ApprovalDecision> attacker = approval.decide(request("r2", "attacker-1", Duration.ofSeconds(20)));
            // the user answers what they read: "[approval 1] ... bulb-1"
            approval.handleLine("y 1");
            test.verify(() -> {
                assertEquals(ApprovalDecision.EXPIRED, first);
                assertFalse(attacker.isComplete(), "the answer meant for bulb-1 decided the attacker's request");
                assertEquals(1, approval.pendingRequests().size());
                final String printed = output.toString(StandardCharsets.UTF_8);
                assertTrue(printed.contains("[approval 2] Key Request from PNE \"attacker-1\""), printed);
                assertFalse(printed.contains("[approval 1] Key Request from PNE \"attacker-1\""), printed);
            });
            test.completeNow();
        }));
    }

    @Test
    void bareYes_justAfterTheShownRequestWasReplaced_doesNotApproveTheNewcomer(final VertxTestContext test) {
        approval.decide(request("r1", "bulb-1", Duration.ofMillis(200))).onComplete(test.succeeding(first -> {
            final Future<ApprovalDecision> attacker = approval.decide(request("r2", "attacker-1", Duration.ofSeconds(20)));
            // the user, who saw only bulb-1's request, types a bare "y"
            approval.handleLine("y");
            test.verify(() -> {
                assertFalse(attacker.isComplete(), "a bare y meant for bulb-1 approved the attacker's request");
                assertEquals(1, approval.pendingRequests().size());
                final String printed = output.toString(StandardCharsets.UTF_8);
                assertTrue(printed.contains("changed a moment ago"), printed);
            });
            // the user, told so, answers by number
            approval.handleLine("n 2");
            attacker.onComplete(test.succeeding(d -> test.verify(() -> {
                assertEquals(ApprovalDecision.DENIED, d);
                test.completeNow();
            })));
        }));
    }

    @Test
    void bareYes_requestAloneOnScreen_stillApproves(final VertxTestContext test) {
        final Future<ApprovalDecision> only = approval.decide(request("r1", "bulb-1", Duration.ofSeconds(20)));
        approval.handleLine("y");
        only.onComplete(test.succeeding(d -> test.verify(() -> {
            assertEquals(ApprovalDecision.APPROVED, d);
            test.completeNow();
        })));
    }
}
