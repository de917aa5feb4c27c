package org.cpnskeys.deploy.e2e;

import java.util.List;
import java.util.stream.Collectors;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import org.slf4j.LoggerFactory;

/** What one class logs while a test runs (logback's list appender), to assert that an attack was reported. */
final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    private LogCapture(final Class<?> source) {
        logger = (Logger) LoggerFactory.getLogger(source);
        appender.start();
        logger.addAppender(appender);
    }

    static LogCapture of(final Class<?> source) {
        return new LogCapture(source);
    }

    /** The formatted messages logged at WARN or above so far. */
    List<String> warnings() {
        return appender.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN))
                .map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
    }

    boolean warned(final String fragment) {
        return warnings().stream().anyMatch(m -> m.contains(fragment));
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
