package org.cpnskeys.deploy;

import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.slf4j.helpers.MessageFormatter;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * While a role starts, a WARN or ERROR logged with an exception (ours or a library's: a client that cannot
 * connect, a listener that cannot bind) is logged as one line, the message and the error in words, and its stack
 * trace at DEBUG: the start-up's failure itself reaches the launcher's one error line ({@link CliErrors}). With
 * {@code --verbose} or {@code CPNS_DEBUG=1} nothing changes. {@link #started()} ends it once the role is up.
 */
final class StartupLogs extends TurboFilter {
    private static final ThreadLocal<Boolean> RELOGGING = ThreadLocal.withInitial(() -> false);

    /** From {@code main}, before any command runs: unless verbose, shortens traces until {@link #started()}. */
    static void install(final boolean verbose) {
        if (!verbose && LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            final StartupLogs filter = new StartupLogs();
            filter.start();
            context.addTurboFilter(filter);
        }
    }

    /** The role is up: from now on log lines keep their traces. */
    static void started() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.getTurboFilterList().removeIf(f -> f instanceof StartupLogs);
        }
    }

    @Override
    public FilterReply decide(final Marker marker, final Logger logger, final Level level, final String format,
            final Object[] params, final Throwable t) {
        final Throwable thrown = t != null ? t
                : params != null && params.length > 0 && params[params.length - 1] instanceof Throwable last ? last : null;
        if (thrown == null || level == null || !level.isGreaterOrEqual(Level.WARN) || RELOGGING.get()) {
            return FilterReply.NEUTRAL;
        }
        RELOGGING.set(true);
        try {
            final String message = MessageFormatter.arrayFormat(format, params).getMessage();
            logger.log(marker, Logger.class.getName(), Level.toLocationAwareLoggerInteger(level),
                    message + ": " + CliErrors.describe(thrown), null, null);
            logger.log(marker, Logger.class.getName(), Level.toLocationAwareLoggerInteger(Level.DEBUG), message, null, thrown);
        } finally {
            RELOGGING.set(false);
        }
        return FilterReply.DENY;
    }
}
