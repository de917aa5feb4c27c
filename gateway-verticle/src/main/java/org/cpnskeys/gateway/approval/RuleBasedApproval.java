package org.cpnskeys.gateway.approval;

import io.vertx.core.Future;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.cpnskeys.protocol.EntityId;

/**
 * Decides Key Requests by rules on the Entity ID, without asking anyone: for unattended gateways, demos and tests.
 * The user's validation of seed R7 is then given in advance, by whoever wrote the rules.
 *
 * <p>Rules are written {@code action:glob}, comma-separated, e.g. {@code allow:sensor-*,allow:bulb-?,deny:*}. The
 * action is {@code allow} or {@code deny}; the glob matches the whole Entity ID, {@code *} any run of characters
 * and {@code ?} exactly one. The first matching rule wins, and a request no rule matches is denied. Requests whose
 * {@code expiresAt} has passed are {@link ApprovalDecision#EXPIRED}. Decisions are immediate and remembered per
 * requestId (see {@link ApprovalService}). Thread-safe; never blocks.
 */
public final class RuleBasedApproval implements ApprovalService {
    /** Only the characters an Entity ID may hold, plus the two wildcards. */
    private static final Pattern GLOB = Pattern.compile("[A-Za-z0-9._*?-]{1,64}");

    /**
     * One rule.
     *
     * @param allow whether a match approves (true) or denies (false)
     * @param glob the pattern on the Entity ID ({@code *} and {@code ?} wildcards)
     */
    public record Rule(boolean allow, String glob) {
        public Rule {
            Objects.requireNonNull(glob, "glob");
            if (!GLOB.matcher(glob).matches()) {
                throw new IllegalArgumentException("pattern \"" + glob + "\" may hold only 1 to 64 letters, digits,"
                        + " '.', '_', '-', '*' and '?'");
            }
        }

        @Override
        public String toString() {
            return (allow ? "allow:" : "deny:") + glob;
        }
    }

    private final List<Rule> rules;
    private final List<Pattern> patterns;
    private final DecisionMemory memory;
    private final Clock clock;

    /** Rules in order of precedence; may be empty (then everything is denied). */
    public RuleBasedApproval(final List<Rule> rules) {
        this(rules, Clock.systemUTC());
    }

    RuleBasedApproval(final List<Rule> rules, final Clock clock) {
        this.rules = List.copyOf(rules);
        this.patterns = this.rules.stream().map(r -> toRegex(r.glob())).collect(Collectors.toUnmodifiableList());
        this.memory = new DecisionMemory();
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Parses rules such as {@code allow:sensor-*,allow:bulb-?,deny:*}. Spaces around items and around the colon are
     * ignored; actions are case-insensitive.
     *
     * @throws IllegalArgumentException naming the faulty rule (by position and text) and what is wrong with it
     */
    public static RuleBasedApproval parse(final String rules) {
        if (rules == null || rules.isBlank()) {
            throw new IllegalArgumentException("approval rules are empty (expected e.g. \"allow:sensor-*,deny:*\")");
        }
        final String[] items = rules.split(",", -1);
        final List<Rule> parsed = new ArrayList<>(items.length);
        for (int i = 0; i < items.length; i++) {
            parsed.add(parseRule(items[i].strip(), i + 1));
        }
        return new RuleBasedApproval(parsed);
    }

    /** The rules, in order of precedence. */
    public List<Rule> rules() {
        return rules;
    }

    /** The decision of the rules for an Entity ID, ignoring expiry and memory: the first match, or DENIED. */
    public ApprovalDecision evaluate(final EntityId entityId) {
        for (int i = 0; i < rules.size(); i++) {
            if (patterns.get(i).matcher(entityId.value()).matches()) {
                return rules.get(i).allow() ? ApprovalDecision.APPROVED : ApprovalDecision.DENIED;
            }
        }
        return ApprovalDecision.DENIED;
    }

    @Override
    public synchronized Future<ApprovalDecision> decide(final ApprovalRequest request) {
        Objects.requireNonNull(request, "request");
        final Instant now = clock.instant();
        return memory.recall(request, now).orElseGet(() -> {
            final ApprovalDecision decision = now.isBefore(request.expiresAt())
                    ? evaluate(request.entityId()) : ApprovalDecision.EXPIRED;
            memory.remember(request, decision, now);
            return Future.succeededFuture(decision);
        });
    }

    /** The rules in the syntax {@link #parse} reads. */
    @Override
    public String toString() {
        return "RuleBasedApproval[" + rules.stream().map(Rule::toString).collect(Collectors.joining(",")) + "]";
    }

    private static Rule parseRule(final String item, final int position) {
        final String where = "approval rule " + position + " (\"" + item + "\"): ";
        if (item.isEmpty()) {
            throw new IllegalArgumentException("approval rule " + position + " is empty (a stray comma?)");
        }
        final int colon = item.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException(where + "expected action:pattern, e.g. allow:sensor-*");
        }
        final String action = item.substring(0, colon).strip().toLowerCase(Locale.ROOT);
        final String glob = item.substring(colon + 1).strip();
        final boolean allow;
        if ("allow".equals(action)) {
            allow = true;
        } else if ("deny".equals(action)) {
            allow = false;
        } else {
            throw new IllegalArgumentException(where + "action must be \"allow\" or \"deny\"");
        }
        try {
            return new Rule(allow, glob);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + e.getMessage(), e);
        }
    }

    private static Pattern toRegex(final String glob) {
        final StringBuilder regex = new StringBuilder(glob.length() + 8);
        for (final char c : glob.toCharArray()) {
            if (c == '*') {
                regex.append(".*");
            } else if (c == '?') {
                regex.append('.');
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString());
    }
}
