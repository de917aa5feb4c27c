package org.cpnskeys.deploy;

import java.io.PrintWriter;
import java.net.BindException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.regex.Pattern;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The launcher's one error path (typed errors mapped once, at the edge). A usage mistake (picocli's
 * {@link ParameterException}: unknown or missing option, malformed value) prints {@code cpns: <what>} and a
 * {@code hint:} line (the closest option, {@code see 'cpns server --help'}) and exits 2; any other failure of a
 * command prints {@code cpns: <message>} (and {@code hint: <hint>} for a {@link CliException}) and exits 1. The stack
 * trace follows only with {@code --verbose} or {@code CPNS_DEBUG=1}.
 */
final class CliErrors implements IParameterExceptionHandler, IExecutionExceptionHandler {
    /** The global option that adds the stack trace. */
    static final String VERBOSE = "--verbose";
    /** The environment variable that does the same ({@code 1} or {@code true}). */
    static final String DEBUG_ENV = "CPNS_DEBUG";

    /** A Java class name before a message ({@code java.io.IOException: }), which a person need not read. */
    private static final Pattern CLASS_PREFIX = Pattern.compile("\\b(?:[a-z_][\\w]*\\.)+[A-Z]\\w*(?:Exception|Error)(?:\\$\\w+)?:\\s*");
    private static final Pattern CLASS_IN_PARENS = Pattern.compile("\\s*\\((?:[a-z_][\\w]*\\.)+[A-Z]\\w*(?:Exception|Error)\\)");

    private CliErrors() {
    }

    /** Installs the handlers (and the value converters whose messages a person can read) on the launcher. */
    static CommandLine install(final CommandLine cli) {
        final CliErrors handler = new CliErrors();
        cli.registerConverter(Duration.class, CliErrors::duration);
        return cli.setParameterExceptionHandler(handler).setExecutionExceptionHandler(handler);
    }

    @Override
    public int handleParseException(final ParameterException ex, final String[] args) {
        final CommandLine cmd = ex.getCommandLine();
        final PrintWriter err = cmd.getErr();
        err.println("cpns: " + readable(ex.getMessage()));
        err.println("hint: " + suggestions(ex, cmd) + "see '" + cmd.getCommandSpec().qualifiedName() + " --help'");
        if (debug() || Arrays.asList(args).contains(VERBOSE)) {
            ex.printStackTrace(err);
        }
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    @Override
    public int handleExecutionException(final Exception ex, final CommandLine cmd, final ParseResult parseResult) {
        final PrintWriter err = cmd.getErr();
        err.println("cpns: " + describe(ex));
        hint(ex).ifPresent(h -> err.println("hint: " + h));
        if (verbose(parseResult)) {
            ex.printStackTrace(err);
        }
        err.flush();
        return cmd.getCommandSpec().exitCodeOnExecutionException();
    }

    /** Whether {@code --verbose} was given to any command of the line, or CPNS_DEBUG is set. */
    static boolean verbose(final ParseResult parseResult) {
        for (ParseResult p = parseResult; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption(VERBOSE)) {
                return true;
            }
        }
        return debug();
    }

    /** Whether CPNS_DEBUG asks for stack traces. */
    static boolean debug() {
        final String env = System.getenv(DEBUG_ENV);
        return env != null && (env.equals("1") || env.equalsIgnoreCase("true"));
    }

    /**
     * One line saying what went wrong: the message of the most telling error in the chain (a missing file, a
     * refused permission, a port in use, an unknown host, a refused connection say so in words), without Java
     * class names.
     */
    static String describe(final Throwable failure) {
        Throwable t = failure;
        while (t.getCause() != null && t.getCause() != t && isWrapper(t)) {
            t = t.getCause();
        }
        return readable(words(t));
    }

    private static boolean isWrapper(final Throwable t) {
        return t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException
                || t instanceof java.lang.reflect.InvocationTargetException || t instanceof CommandLine.ExecutionException
                || t.getMessage() == null || t.getMessage().equals(String.valueOf(t.getCause()));
    }

    private static String words(final Throwable t) {
        if (t instanceof NoSuchFileException f) {
            return "no such file: " + f.getFile();
        }
        if (t instanceof AccessDeniedException f) {
            return "permission denied: " + f.getFile();
        }
        if (t instanceof FileSystemException f) {
            return f.getFile() + ": " + f.getReason();
        }
        if (t instanceof java.util.concurrent.TimeoutException) {
            return "no answer in time" + (t.getMessage() == null ? "" : ": " + t.getMessage());
        }
        if (t instanceof UnknownHostException) {
            return "unknown host " + t.getMessage();
        }
        if (t instanceof BindException || t instanceof ConnectException) {
            return t.getMessage() == null ? "address already in use" : t.getMessage();
        }
        return t.getMessage() == null ? "internal error (" + t.getClass().getSimpleName() + ")" : t.getMessage();
    }

    /** The hint of the first {@link CliException} in the chain, or a generic one for a refused permission. */
    static Optional<String> hint(final Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof CliException c && c.hint().isPresent()) {
                return c.hint();
            }
            if (t instanceof AccessDeniedException) {
                return Optional.of("the file must be readable by the user running cpns (secrets: owner-only, chmod 600)");
            }
        }
        return Optional.empty();
    }

    /** One line, without Java class names. */
    static String readable(final String message) {
        if (message == null) {
            return "failed";
        }
        final String oneLine = message.strip().replaceAll("\\s*\\R\\s*", " ");
        return CLASS_IN_PARENS.matcher(CLASS_PREFIX.matcher(oneLine).replaceAll("")).replaceAll("");
    }

    private static String suggestions(final ParameterException ex, final CommandLine cmd) {
        if (!(ex instanceof UnmatchedArgumentException u)) {
            return "";
        }
        final List<String> names = u.getSuggestions().stream()
                .map(s -> s.startsWith("-") ? s : cmd.getCommandSpec().qualifiedName() + " " + s).limit(3).toList();
        return names.isEmpty() ? "" : "did you mean " + String.join(" or ", names) + "? ";
    }

    private static Duration duration(final String value) {
        try {
            return Duration.parse(value);
        } catch (DateTimeParseException e) {
            throw new CommandLine.TypeConversionException("'" + value
                    + "' is not a duration: write it in ISO-8601, such as PT30S, PT5M or PT2H");
        }
    }
}
