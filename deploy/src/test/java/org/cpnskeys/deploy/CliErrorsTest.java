package org.cpnskeys.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/** The launcher's one error path: what it prints for a usage mistake and for a failure, and the exit codes. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CliErrorsTest {
    @TempDir
    Path dir;

    @Test
    void readable_dropsJavaClassNamesAndLineBreaks() {
        assertEquals("cannot convert 'x' (Text cannot be parsed)",
                CliErrors.readable("cannot convert 'x' (java.time.format.DateTimeParseException: Text cannot be parsed)"));
        assertEquals("broken pipe and more", CliErrors.readable("java.io.IOException: broken pipe\n  and more"));
        assertEquals("bad value", CliErrors.readable("bad value (java.lang.NumberFormatException)"));
    }

    @Test
    void describe_saysInWordsWhatTheFileSystemRefused() {
        assertEquals("no such file: /x/secret", CliErrors.describe(new NoSuchFileException("/x/secret")));
        assertEquals("permission denied: /x/secret",
                CliErrors.describe(new CompletionException(new AccessDeniedException("/x/secret"))));
        assertTrue(CliErrors.hint(new IllegalStateException("wrapped", new AccessDeniedException("/x"))).isPresent());
    }

    @Test
    void describe_skipsWrappersWithoutAMessageOfTheirOwn() {
        assertEquals("the real reason", CliErrors.describe(new RuntimeException(new IllegalStateException("the real reason"))));
    }

    @Test
    void usageMistake_exitsTwo_oneErrorLineAndAHelpHint() {
        final Result r = run("server", "--nonce-lifetime", "5m");
        assertEquals(2, r.code());
        assertEquals("cpns: Invalid value for option '--nonce-lifetime': '5m' is not a duration: write it in ISO-8601,"
                + " such as PT30S, PT5M or PT2H\nhint: see 'cpns server --help'\n", r.err());
    }

    @Test
    void failingCommand_exitsOne_oneErrorLineNamingFileAndOption_traceOnlyWithVerbose() {
        final String missing = dir.resolve("missing.pw").toString();
        final Result r = run("user", "add", "--file", dir.resolve("u").toString(), "--password-file", missing, "alice");
        assertEquals(1, r.code());
        assertEquals("cpns: cannot read the password (--password-file): " + missing + " does not exist\n", r.err());
        final Result verbose = run("user", "add", "--file", dir.resolve("u").toString(), "--password-file", missing,
                "alice", "--verbose");
        assertEquals(1, verbose.code());
        assertTrue(verbose.err().startsWith(r.err()) && verbose.err().contains("\tat org.cpnskeys."), verbose.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    private static Result run(final String... args) {
        final CommandLine cli = Cpns.commandLine();
        final StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        final int code = cli.execute(args);
        return new Result(code, err.toString().replace(System.lineSeparator(), "\n"));
    }

    private record Result(int code, String err) {
    }
}
