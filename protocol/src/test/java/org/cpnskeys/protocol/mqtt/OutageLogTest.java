package org.cpnskeys.protocol.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** One WARN line per outage state change, reminders at a bounded interval, stack traces at DEBUG only (fake clock). */
class OutageLogTest {
    private static final MqttEndpoint BROKER = MqttEndpoint.plain("127.0.0.1", 1883, null, null);
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final OutageLog log = new OutageLog("cpns-gateway-gw1-cloud", BROKER, Duration.ofMinutes(1), nanos::get);
    private final ListAppender<ILoggingEvent> events = new ListAppender<>();
    private Logger logger;

    @BeforeEach
    void capture() {
        logger = (Logger) LoggerFactory.getLogger(MqttConnection.class);
        events.start();
        logger.addAppender(events);
    }

    @AfterEach
    void release() {
        logger.detachAppender(events);
    }

    private List<String> warnings() {
        return events.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
                .toList();
    }

    private void advance(final Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    /** {@code n} failed attempts, one every {@code every}. */
    private void failAttempts(final int n, final Duration every) {
        for (int i = 0; i < n; i++) {
            advance(every);
            log.attemptFailed(refused());
        }
    }

    private static Exception refused() {
        return new IllegalStateException("connect failed",
                new ConnectException("Connection refused: /127.0.0.1:1883\n\tat somewhere"));
    }

    @Test
    void anOutage_isLostThenOneReminderPerMinuteThenBack_eachOneWarnLineWithItsReason() {
        log.connected();
        log.lost("Connection reset by peer");
        failAttempts(30, Duration.ofSeconds(5)); // an attempt every 5 s for 150 s: two reminders, not thirty lines
        advance(Duration.ofSeconds(3));
        log.connected();
        assertEquals(List.of(
                "cpns-gateway-gw1-cloud: lost its connection to mqtt://127.0.0.1:1883 (Connection reset by peer);"
                        + " reconnecting, reporting every 1 min while it lasts",
                "cpns-gateway-gw1-cloud: mqtt://127.0.0.1:1883 still unreachable after 1 min (12 failed attempts,"
                        + " the last: Connection refused: /127.0.0.1:1883 at somewhere); retrying",
                "cpns-gateway-gw1-cloud: mqtt://127.0.0.1:1883 still unreachable after 2 min (24 failed attempts,"
                        + " the last: Connection refused: /127.0.0.1:1883 at somewhere); retrying",
                "cpns-gateway-gw1-cloud: back on mqtt://127.0.0.1:1883 after 2 min 33 s out (30 failed attempts)"), warnings());
    }

    @Test
    void everyFailedAttempt_hasItsStackTraceAtDebug_andNoWarnLineCarriesOne() {
        log.connected();
        log.lost("closed by the broker or the network");
        failAttempts(3, Duration.ofSeconds(40));
        final List<ILoggingEvent> debug = events.list.stream().filter(e -> e.getLevel() == Level.DEBUG)
                .filter(e -> e.getFormattedMessage().contains("connection attempt")).toList();
        assertEquals(3, debug.size());
        debug.forEach(e -> assertNotNull(e.getThrowableProxy(), "the stack trace, at DEBUG"));
        events.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.INFO))
                .forEach(e -> assertNull(e.getThrowableProxy(), e.getFormattedMessage()));
        events.list.forEach(e -> assertTrue(e.getLevel().toInt() < Level.ERROR.toInt(), e.getFormattedMessage()));
        warnings().forEach(w -> assertTrue(!w.contains("\n"), "one line: " + w));
    }

    @Test
    void aBrokerDownAtStart_isReportedOnce_andItsArrivalAsBack() {
        log.attemptFailed(refused());
        failAttempts(1, Duration.ofSeconds(2));
        advance(Duration.ofSeconds(2));
        log.connected();
        assertEquals(List.of(
                "cpns-gateway-gw1-cloud: cannot connect to mqtt://127.0.0.1:1883 (Connection refused:"
                        + " /127.0.0.1:1883 at somewhere); retrying, reporting every 1 min while it lasts",
                "cpns-gateway-gw1-cloud: back on mqtt://127.0.0.1:1883 after 4.0 s out (2 failed attempts)"), warnings());
    }

    @Test
    void aConnectionThatStaysUp_logsNothingAtWarn_andALossIsReportedOnce() {
        log.connected();
        advance(Duration.ofMinutes(10));
        log.connected();
        assertEquals(List.of(), warnings());
        log.lost("y");
        log.lost("y"); // a second close before any reconnect: the same outage
        assertEquals(1, warnings().size(), String.join("\n", warnings()));
    }

    @Test
    void durations_readAsAPersonWouldSayThem() {
        assertEquals("4.2 s", OutageLog.human(Duration.ofMillis(4_200)));
        assertEquals("1 min", OutageLog.human(Duration.ofSeconds(60)));
        assertEquals("3 min 5 s", OutageLog.human(Duration.ofSeconds(185)));
        assertEquals("2 h 10 min", OutageLog.human(Duration.ofMinutes(130)));
        assertEquals("1 h", OutageLog.human(Duration.ofMinutes(60)));
    }
}
