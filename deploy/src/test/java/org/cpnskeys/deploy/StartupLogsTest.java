package org.cpnskeys.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/** While a role starts, an error logged with an exception is one line; its trace goes to DEBUG. */
class StartupLogsTest {
    private final Logger logger = (Logger) LoggerFactory.getLogger("startup-logs-test");
    private final ListAppender<ILoggingEvent> events = new ListAppender<>();

    @BeforeEach
    void capture() {
        events.start();
        logger.addAppender(events);
        logger.setAdditive(false);
        logger.setLevel(Level.DEBUG);
    }

    @AfterEach
    void release() {
        StartupLogs.started();
        logger.detachAppender(events);
    }

    @Test
    void duringStartup_errorWithException_isOneLineAndTheTraceGoesToDebug() {
        StartupLogs.install(false);
        logger.error("cannot connect to {}", "localhost:1", new IOException("connection refused"));
        final List<ILoggingEvent> logged = events.list;
        assertEquals(2, logged.size());
        assertEquals(Level.ERROR, logged.get(0).getLevel());
        assertEquals("cannot connect to localhost:1: connection refused", logged.get(0).getFormattedMessage());
        assertNull(logged.get(0).getThrowableProxy(), "no trace at ERROR");
        assertEquals(Level.DEBUG, logged.get(1).getLevel());
        assertNotNull(logged.get(1).getThrowableProxy(), "the trace at DEBUG");
    }

    @Test
    void onceStarted_orVerbose_theTraceStaysWhereItWasLogged() {
        StartupLogs.install(false);
        StartupLogs.started();
        logger.error("after start-up", new IOException("x"));
        StartupLogs.install(true);
        logger.warn("verbose", new IOException("y"));
        assertEquals(2, events.list.size());
        assertNotNull(events.list.get(0).getThrowableProxy());
        assertNotNull(events.list.get(1).getThrowableProxy());
    }
}
