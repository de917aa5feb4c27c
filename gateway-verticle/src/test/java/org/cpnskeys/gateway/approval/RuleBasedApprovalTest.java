package org.cpnskeys.gateway.approval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.RequestId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RuleBasedApprovalTest {
    private static final String FINGERPRINT = "AB12-CD34-EF56-7890";

    private static ApprovalRequest request(final String requestId, final String entity, final Instant expiresAt) {
        return new ApprovalRequest(RequestId.of(requestId), EntityId.of(entity), true, Optional.empty(), FINGERPRINT,
                expiresAt);
    }

    private static ApprovalDecision decided(final ApprovalService service, final ApprovalRequest request) {
        final Future<ApprovalDecision> f = service.decide(request);
        assertTrue(f.succeeded(), () -> "not decided at once: " + f.cause());
        return f.result();
    }

    /** Verifies that allow:* approves and deny:* denies. */
    @Test
    void decide_allowAllAndDenyAll_approvesAndDenies() {
        final Instant later = Instant.now().plusSeconds(60);
        assertEquals(ApprovalDecision.APPROVED, decided(RuleBasedApproval.parse("allow:*"), request("r1", "bulb-1", later)));
        assertEquals(ApprovalDecision.DENIED, decided(RuleBasedApproval.parse("deny:*"), request("r1", "bulb-1", later)));
    }

    /** Verifies that the first matching rule wins and that nothing matching means deny. */
    @ParameterizedTest
    @CsvSource({
        "sensor-12, APPROVED",
        "sensor-, APPROVED",
        "bulb-1, APPROVED",
        "bulb-12, DENIED",
        "camera, DENIED",
        "xsensor-1, DENIED",
    })
    void evaluate_firstMatchWins_expectedDecision(final String entity, final ApprovalDecision expected) {
        final RuleBasedApproval rules = RuleBasedApproval.parse("allow:sensor-*, allow:bulb-?,deny:*");

        assertEquals(expected, rules.evaluate(EntityId.of(entity)));
    }

    /** Verifies the default deny when no rule matches, and that '.' is literal. */
    @Test
    void evaluate_noRuleMatches_denied() {
        final RuleBasedApproval rules = RuleBasedApproval.parse("allow:sensor-*,allow:a.b");

        assertEquals(ApprovalDecision.DENIED, rules.evaluate(EntityId.of("thermostat")));
        assertEquals(ApprovalDecision.DENIED, rules.evaluate(EntityId.of("axb")));
        assertEquals(ApprovalDecision.APPROVED, rules.evaluate(EntityId.of("a.b")));
    }

    /** Verifies that an earlier deny beats a later allow. */
    @Test
    void evaluate_denyBeforeAllow_denied() {
        final RuleBasedApproval rules = RuleBasedApproval.parse("DENY:bulb-666,allow:bulb-*");

        assertEquals(ApprovalDecision.DENIED, rules.evaluate(EntityId.of("bulb-666")));
        assertEquals(ApprovalDecision.APPROVED, rules.evaluate(EntityId.of("bulb-7")));
    }

    /** Verifies that bad rule strings are refused with a message naming the rule. */
    @ParameterizedTest
    @ValueSource(strings = {"allow", "permit:*", "allow:", "allow:a/b", "allow:*,", "allow:*,,deny:*", "allow:#",
        "allow:+"})
    void parse_badRule_failsNamingIt(final String rules) {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RuleBasedApproval.parse(rules));

        assertTrue(e.getMessage().startsWith("approval rule "), e.getMessage());
    }

    /** Verifies that an empty rule string is refused. */
    @Test
    void parse_empty_fails() {
        assertThrows(IllegalArgumentException.class, () -> RuleBasedApproval.parse(""));
        assertThrows(IllegalArgumentException.class, () -> RuleBasedApproval.parse("  "));
        assertThrows(IllegalArgumentException.class, () -> RuleBasedApproval.parse(null));
    }

    /** Verifies that toString gives back rules that parse to the same rules. */
    @Test
    void toString_parsed_roundTrips() {
        final RuleBasedApproval rules = RuleBasedApproval.parse(" allow : sensor-* , deny:*");

        assertEquals("RuleBasedApproval[allow:sensor-*,deny:*]", rules.toString());
        assertEquals(List.of(new RuleBasedApproval.Rule(true, "sensor-*"), new RuleBasedApproval.Rule(false, "*")),
                rules.rules());
    }

    /** Verifies that a request whose expiry has passed is EXPIRED, whatever the rules say. */
    @Test
    void decide_pastExpiry_expired() {
        assertEquals(ApprovalDecision.EXPIRED,
                decided(RuleBasedApproval.parse("allow:*"), request("r1", "bulb-1", Instant.now().minusSeconds(1))));
    }

    /** Verifies that a retry after the expiry gets the decision already given, not EXPIRED. */
    @Test
    void decide_retryAfterExpiry_sameDecision() {
        final MovingClock clock = new MovingClock(Instant.parse("2026-01-01T00:00:00Z"));
        final RuleBasedApproval rules = new RuleBasedApproval(RuleBasedApproval.parse("allow:*").rules(), clock);
        final ApprovalRequest request = request("r1", "bulb-1", clock.instant().plusSeconds(5));
        assertEquals(ApprovalDecision.APPROVED, decided(rules, request));

        clock.advance(Duration.ofSeconds(60));

        assertEquals(ApprovalDecision.APPROVED, decided(rules, request));
        assertEquals(ApprovalDecision.EXPIRED, decided(rules, request("r2", "bulb-1", clock.instant().minusSeconds(1))));
    }

    /** Verifies that a request id reused by another PNE gets a failure, not the other PNE's approval. */
    @Test
    void decide_requestIdReusedByAnotherEntity_fails() {
        final RuleBasedApproval rules = RuleBasedApproval.parse("allow:bulb-*,deny:*");
        final Instant later = Instant.now().plusSeconds(60);
        decided(rules, request("r1", "bulb-1", later));

        final Future<ApprovalDecision> reused = rules.decide(request("r1", "camera", later));

        assertTrue(reused.failed());
        assertTrue(reused.cause() instanceof IllegalArgumentException);
    }

    private static final class MovingClock extends Clock {
        private Instant now;

        MovingClock(final Instant start) {
            this.now = start;
        }

        void advance(final Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(final ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
