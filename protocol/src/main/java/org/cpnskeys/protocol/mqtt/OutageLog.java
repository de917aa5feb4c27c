package org.cpnskeys.protocol.mqtt;

import java.time.Duration;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one {@link MqttConnection} tells a person about its outages: one WARN line when the broker is lost (or cannot
 * be reached at start), one every {@code remindEvery} while it stays unreachable, and one when it is back, with how
 * long it was out. Each line gives the reason in one line; the stack trace of every failed attempt is logged at
 * DEBUG only. Not thread-safe: used on its connection's context.
 */
final class OutageLog {
    /** How often a continuing outage is reported (one WARN line per period, not per attempt). */
    static final Duration REMIND_EVERY = Duration.ofMinutes(1);
    private static final Logger LOG = LoggerFactory.getLogger(MqttConnection.class);

    private final String clientId;
    private final MqttEndpoint endpoint;
    private final Duration remindEvery;
    private final LongSupplier nanoClock;
    private boolean up;
    private boolean out;
    private long outSince;
    private long lastReport;
    private int failedAttempts;

    OutageLog(final String clientId, final MqttEndpoint endpoint, final Duration remindEvery,
            final LongSupplier nanoClock) {
        this.clientId = clientId;
        this.endpoint = endpoint;
        this.remindEvery = remindEvery;
        this.nanoClock = nanoClock;
    }

    /** A connection was made (first or again). */
    void connected() {
        up = true;
        if (out) {
            LOG.warn("{}: back on {} after {} out ({} failed attempts)", clientId, endpoint,
                    human(Duration.ofNanos(nanoClock.getAsLong() - outSince)), failedAttempts);
            out = false;
        } else {
            LOG.debug("{} connected to {}", clientId, endpoint);
        }
    }

    /** The connection that was up is gone ({@code reason}: one line). */
    void lost(final String reason) {
        if (!up) {
            return;
        }
        up = false;
        startOutage();
        LOG.warn("{}: lost its connection to {} ({}); reconnecting, reporting every {} while it lasts", clientId,
                endpoint, reason, human(remindEvery));
    }

    /** A connection attempt failed. */
    void attemptFailed(final Throwable cause) {
        LOG.debug("{}: connection attempt to {} failed", clientId, endpoint, cause);
        up = false;
        if (!out) {
            startOutage();
            failedAttempts = 1;
            LOG.warn("{}: cannot connect to {} ({}); retrying, reporting every {} while it lasts", clientId, endpoint,
                    reason(cause), human(remindEvery));
            return;
        }
        failedAttempts++;
        final long now = nanoClock.getAsLong();
        if (now - lastReport >= remindEvery.toNanos()) {
            lastReport = now;
            LOG.warn("{}: {} still unreachable after {} ({} failed attempts, the last: {}); retrying", clientId,
                    endpoint, human(Duration.ofNanos(now - outSince)), failedAttempts, reason(cause));
        }
    }

    private void startOutage() {
        out = true;
        outSince = nanoClock.getAsLong();
        lastReport = outSince;
        failedAttempts = 0;
    }

    /** The innermost cause's message, on one line (the class name when it has none). */
    static String reason(final Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        final String message = root.getMessage();
        final String text = message == null || message.isBlank() ? root.getClass().getSimpleName() : message;
        return text.replaceAll("\\s+", " ").strip();
    }

    /** "4.2 s", "3 min 5 s", "2 h 10 min". */
    static String human(final Duration d) {
        final long s = d.toSeconds();
        if (s < 60) {
            return String.format(java.util.Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
        }
        if (s < 3600) {
            return (s / 60) + " min" + (s % 60 == 0 ? "" : " " + (s % 60) + " s");
        }
        return (s / 3600) + " h" + (s % 3600 / 60 == 0 ? "" : " " + (s % 3600 / 60) + " min");
    }
}
