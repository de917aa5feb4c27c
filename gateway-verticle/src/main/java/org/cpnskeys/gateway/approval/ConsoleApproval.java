package org.cpnskeys.gateway.approval;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

import org.cpnskeys.protocol.RequestId;

/**
 * Asks the CPNS User on a text console to validate each Key Request (seed step 3 / F3, R7).
 *
 * <p>Each pending request is printed with a short number, its Entity ID, the device's description (control
 * characters removed: it is untrusted text), the fingerprint of the PNE's PAN certificate and the seconds left. The
 * user answers {@code y 3} or {@code n 3}, or just {@code y} / {@code n} when one request is pending; {@code l}
 * lists the pending requests again. Numbers are never reused (a late {@code y 3} can only ever mean the request
 * that was shown as 3), and a bare {@code y} / {@code n} only answers the request on screen: it is refused when
 * another request was pending within {@link #BARE_ANSWER_GRACE} before the only pending one was shown, or since
 * (the user may be answering the one that just went away), and the user is asked for the number. A request not answered by its {@code expiresAt} completes with
 * {@link ApprovalDecision#EXPIRED} (a Vert.x timer) and a notice is printed. The bookkeeping of pending requests
 * and their expiry is {@link PendingApprovals}.
 *
 * <p>Threading: lines are read on this service's own daemon thread, started at the first {@link #decide} (a console
 * read blocks for as long as the user is away and cannot be interrupted, so neither an event loop nor a Vert.x
 * worker is used, and the thread never keeps the JVM alive). Each future completes on the Vert.x context of the
 * first caller of {@link #decide} for that request. {@link #decide} itself never blocks.
 *
 * <p>Do not read the same console with another reader (e.g. a credential prompt) at the same time.
 */
public final class ConsoleApproval implements ApprovalService, AutoCloseable {
    /** A bare answer needs the only pending request to have been alone on screen for this long before it was shown. */
    static final Duration BARE_ANSWER_GRACE = Duration.ofSeconds(2);

    private final BufferedReader in;
    private final PrintStream out;
    private final PendingApprovals<Shown> approvals;
    /** Guarded by the pending requests' lock (set in {@link #shown}). */
    private Thread reader;
    /** The number the next request gets: numbers are never reused. Guarded by the pending requests' lock. */
    private int nextNumber = 1;
    /** When a pending request last stopped pending (answered, expired). Guarded by the pending requests' lock. */
    private Instant lastFinishedAt = Instant.EPOCH;

    /** What the console keeps for a pending request: its number and when it was last printed. */
    private static final class Shown {
        final int number;
        /** When the request was last printed. Guarded by the pending requests' lock. */
        Instant shownAt = Instant.EPOCH;

        Shown(final int number) {
            this.number = number;
        }
    }

    public ConsoleApproval(final Vertx vertx, final BufferedReader in, final PrintStream out) {
        this.in = Objects.requireNonNull(in, "in");
        this.out = Objects.requireNonNull(out, "out");
        this.approvals = new PendingApprovals<>(Objects.requireNonNull(vertx, "vertx"), new PendingApprovals.Owner<>() {
            @Override
            public Shown pending(final ApprovalRequest request, final Instant now) {
                return shown(request, now);
            }

            @Override
            public void decided(final ApprovalRequest request, final Shown shown, final ApprovalDecision decision,
                    final Instant now) {
                lastFinishedAt = now;
                out.println(outcome(request, shown, decision));
                out.flush();
            }
        }, "console approval is closed");
    }

    /** A console approval over standard input and output (for the gateway run in a terminal). */
    public static ConsoleApproval system(final Vertx vertx) {
        return new ConsoleApproval(vertx, new BufferedReader(new InputStreamReader(System.in, Charset.defaultCharset())),
                System.out);
    }

    @Override
    public Future<ApprovalDecision> decide(final ApprovalRequest request) {
        return approvals.decide(request);
    }

    /** The requests waiting for an answer, oldest first. */
    public List<ApprovalRequest> pendingRequests() {
        return approvals.requests();
    }

    /**
     * Stops asking: pending requests fail with {@link IllegalStateException} (the PNE retries later; nobody said
     * no), and later calls to {@link #decide} fail. The reading thread ends at the next line or end of input.
     */
    @Override
    public void close() {
        approvals.close();
    }

    /** A new pending request: numbered, printed, and the console read from now on. */
    private Shown shown(final ApprovalRequest request, final Instant now) {
        final Shown shown = new Shown(nextNumber++);
        print(request, shown, now);
        startReader();
        return shown;
    }

    // ---- answers --------------------------------------------------------------------------------------------

    /** Completes a pending request on its owning context; false if it is no longer pending. */
    private boolean finish(final RequestId id, final ApprovalDecision decision) {
        return approvals.answer(id, decision);
    }

    private static String outcome(final ApprovalRequest request, final Shown shown, final ApprovalDecision decision) {
        final String who = "[approval " + shown.number + "] Key Request of PNE \"" + request.entityId() + "\" ";
        switch (decision) {
            case APPROVED:
                return who + "approved: it will be forwarded to the CPNS Server.";
            case DENIED:
                return who + "denied.";
            default:
                return who + "expired unanswered: it is refused.";
        }
    }

    /** Handles one line typed by the user. Runs on the reader thread; completions hop to the owning contexts. */
    void handleLine(final String raw) {
        final String line = raw.strip().toLowerCase(Locale.ROOT);
        if (line.isEmpty()) {
            return;
        }
        final String[] words = line.split("\\s+");
        if (words.length > 2) {
            help();
            return;
        }
        final ApprovalDecision decision;
        switch (words[0]) {
            case "y": case "yes": case "a": case "approve":
                decision = ApprovalDecision.APPROVED;
                break;
            case "n": case "no": case "d": case "deny":
                decision = ApprovalDecision.DENIED;
                break;
            case "l": case "list":
                list();
                return;
            default:
                help();
                return;
        }
        final Optional<RequestId> target = words.length == 2 ? byNumber(words[1]) : onlyPending();
        target.ifPresent(id -> {
            if (!finish(id, decision)) {
                say("That request is no longer pending.");
            }
        });
    }

    private Optional<RequestId> byNumber(final String word) {
        final int number;
        try {
            number = Integer.parseInt(word);
        } catch (NumberFormatException e) {
            help();
            return Optional.empty();
        }
        final Optional<RequestId> found = approvals.inspect(pending -> pending.stream()
                .filter(p -> p.kept().number == number).map(p -> p.request().requestId()).findFirst());
        if (found.isEmpty()) {
            say("No pending Key Request has number " + number + ".");
        }
        return found;
    }

    private Optional<RequestId> onlyPending() {
        return approvals.inspect(pending -> {
            if (pending.size() == 1) {
                final PendingApprovals.Entry<Shown> only = pending.iterator().next();
                final Shown shown = only.kept();
                if (!shown.shownAt.minus(BARE_ANSWER_GRACE).isAfter(lastFinishedAt)) {
                    say("The pending Key Requests changed a moment ago: answer \"y " + shown.number + "\" or \"n "
                            + shown.number + "\" if you mean PNE \"" + only.request().entityId() + "\" (\"l\" lists them).");
                    return Optional.empty();
                }
                return Optional.of(only.request().requestId());
            }
            say(pending.isEmpty() ? "No Key Request is pending."
                    : pending.size() + " Key Requests are pending: answer \"y <number>\" or \"n <number>\".");
            return Optional.empty();
        });
    }

    // ---- console --------------------------------------------------------------------------------------------

    private void startReader() {
        if (reader != null) {
            return;
        }
        reader = new Thread(this::readLoop, "cpns-console-approval");
        reader.setDaemon(true);
        reader.start();
    }

    private void readLoop() {
        try {
            String line;
            while ((line = in.readLine()) != null) {
                if (approvals.isClosed()) {
                    return;
                }
                handleLine(line);
            }
            say("Approval console: input closed; pending Key Requests will expire unanswered.");
        } catch (IOException e) {
            say("Approval console: cannot read input (" + e.getClass().getSimpleName()
                    + "); pending Key Requests will expire unanswered.");
        }
    }

    private void print(final ApprovalRequest r, final Shown p, final Instant now) {
        p.shownAt = now;
        final long secondsLeft = (Duration.between(now, r.expiresAt()).toMillis() + 999) / 1000;
        final StringBuilder b = new StringBuilder()
                .append("[approval ").append(p.number).append("] Key Request from PNE \"").append(r.entityId())
                .append('"').append(r.proxy() ? " (asks the gateway to act as its proxy)" : "").append('\n');
        r.description().ifPresent(d -> b.append("    description: ").append(printable(d)).append('\n'));
        b.append("    certificate: ").append(printable(r.certificateFingerprint())).append('\n')
                .append("    expires in ").append(secondsLeft).append(" s: answer \"y ").append(p.number)
                .append("\" to approve or \"n ").append(p.number).append("\" to deny");
        out.println(b);
        out.flush();
    }

    private void list() {
        approvals.inspect(pending -> {
            if (pending.isEmpty()) {
                say("No Key Request is pending.");
            }
            final Instant now = Instant.now();
            pending.forEach(p -> print(p.request(), p.kept(), now));
            return null;
        });
    }

    private void help() {
        say("Answer \"y <number>\" to approve, \"n <number>\" to deny (the number may be left out when one request"
                + " is pending), or \"l\" to list the pending requests.");
    }

    private void say(final String line) {
        out.println(line);
        out.flush();
    }

    /** Removes control and format characters (terminal escapes, line breaks, bidi overrides) from untrusted text. */
    static String printable(final String s) {
        return s.codePoints().filter(c -> !Character.isISOControl(c) && Character.getType(c) != Character.FORMAT)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    }
}
