package org.cpnskeys.gateway.keys;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;

/**
 * The finished sessions one instance keeps for the PNEs' retries (they get the same final answer), in the order they
 * finished: one periodic sweep forgets them after {@link #RETENTION}, not a timer each. Touched on the owner's thread.
 */
final class FinishedSessions {
    static final Duration RETENTION = Duration.ofMinutes(10);
    /**
     * Most finished requests remembered for retries at once. Beyond it the oldest are forgotten early; a PNE's retry
     * of one of them is then sent to the server again, which answers it idempotently with the same key. Without a
     * bound, ten minutes at thousands of keys per second held millions of sessions (about 3 KB each, measured).
     */
    static final int MAX = 50_000;

    private record Finished(Session session, long forgetAtNanos) {
    }

    private final ArrayDeque<Finished> finished = new ArrayDeque<>();
    private final Map<String, Session> sessions;

    /** {@code sessions}: the table the forgotten sessions are removed from. */
    FinishedSessions(final Map<String, Session> sessions) {
        this.sessions = sessions;
    }

    void add(final Session s, final long nowNanos) {
        finished.addLast(new Finished(s, nowNanos + RETENTION.toNanos()));
        if (finished.size() > MAX) {
            forget(nowNanos);
        }
    }

    /** Forgets the finished sessions whose retention is over, and the oldest beyond the bound. */
    void forget(final long nowNanos) {
        Finished f;
        while ((f = finished.peekFirst()) != null && (finished.size() > MAX || nowNanos - f.forgetAtNanos() >= 0)) {
            finished.pollFirst();
            sessions.remove(f.session().key(), f.session());
        }
    }
}
