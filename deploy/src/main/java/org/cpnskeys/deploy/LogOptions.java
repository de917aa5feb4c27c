package org.cpnskeys.deploy;

import java.util.List;

import picocli.CommandLine.Option;

/**
 * {@code --log-format text|json} on every role. Logging is configured before picocli runs (the first logger
 * would fix it), so {@link #apply(String[])} reads the option from the raw arguments in {@code main}; the option
 * here documents and validates it.
 */
public final class LogOptions {
    /** The system property (or environment variable) logback.xml reads to pick its appender. */
    static final String PROPERTY = "CPNS_LOG_FORMAT";
    static final List<String> FORMATS = List.of("text", "json");

    @Option(names = "--log-format", defaultValue = "${env:CPNS_LOG_FORMAT:-text}",
            description = {"Log lines as text or json (one JSON object per line: timestamp, level, thread,",
                    "logger, message) (env CPNS_LOG_FORMAT; default ${DEFAULT-VALUE})."})
    void format(final String format) {
        if (!FORMATS.contains(format)) {
            throw new IllegalArgumentException("--log-format must be text or json, not " + format);
        }
    }

    /** Sets the log format from {@code --log-format X} / {@code --log-format=X} or CPNS_LOG_FORMAT, before logging starts. */
    static void apply(final String[] args) {
        String format = System.getenv(PROPERTY);
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--log-format") && i + 1 < args.length) {
                format = args[i + 1];
            } else if (args[i].startsWith("--log-format=")) {
                format = args[i].substring("--log-format=".length());
            }
        }
        if (format != null && FORMATS.contains(format)) {
            System.setProperty(PROPERTY, format);
        } else {
            System.clearProperty(PROPERTY);
            if (format != null && System.getenv(PROPERTY) != null && !FORMATS.contains(System.getenv(PROPERTY))) {
                System.err.println(PROPERTY + " must be text or json; logging as text");
            }
        }
    }
}
