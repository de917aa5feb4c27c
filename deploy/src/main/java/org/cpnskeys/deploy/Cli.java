package org.cpnskeys.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** Small helpers shared by the commands. */
public final class Cli {
    private Cli() {
    }

    /**
     * Options every role starts Vert.x with: the native (epoll) transport where Netty's native library loads
     * (Linux x86-64: fewer system calls per message than NIO; measured in docs/PERFORMANCE.md), NIO elsewhere.
     */
    public static io.vertx.core.VertxOptions vertxOptions() {
        return new io.vertx.core.VertxOptions().setPreferNativeTransport(true);
    }

    /** A Vert.x instance with {@link #vertxOptions()}. */
    public static Vertx newVertx() {
        return Vertx.builder().with(vertxOptions()).build();
    }

    /**
     * Reads a one-line secret from a file (trailing newline removed). {@code what} names the secret and the
     * option that gives the file, such as {@code "the broker secret (--broker-secret-file)"}: a missing, unreadable
     * or empty file fails with a message naming both (never the file's content).
     */
    public static String readSecret(final Path file, final String what) {
        final String s;
        try {
            s = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CliException("cannot read " + what + ": " + file + " does not exist", null);
        } catch (java.nio.file.AccessDeniedException e) {
            throw new CliException("cannot read " + what + ": permission denied on " + file,
                    "the file must be readable by the user running cpns (owner-only: chmod 600, chown that user)");
        } catch (IOException e) {
            throw new CliException("cannot read " + what + " from " + file + ": " + CliErrors.describe(e), null);
        }
        if (s.isEmpty()) {
            throw new CliException(file + " is empty: it must hold " + what, null);
        }
        return s;
    }

    /**
     * Checks, before anything starts, that a file an option names (if given) exists and can be read, so that the
     * error names the option rather than surfacing later from a TLS or database library.
     */
    public static void requireFile(final Path file, final String option) {
        if (file == null) {
            return;
        }
        if (!Files.exists(file)) {
            throw new CliException("cannot read " + option + " " + file + ": it does not exist", null);
        }
        if (!Files.isReadable(file)) {
            throw new CliException("cannot read " + option + " " + file + ": permission denied",
                    "the file must be readable by the user running cpns");
        }
    }

    /** Reads a file an option names; a missing or unreadable one fails with a message naming the option. */
    public static byte[] readFile(final Path file, final String option) {
        try {
            return Files.readAllBytes(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CliException("cannot read " + option + " " + file + ": it does not exist", null);
        } catch (java.nio.file.AccessDeniedException e) {
            throw new CliException("cannot read " + option + " " + file + ": permission denied",
                    "the file must be readable by the user running cpns");
        } catch (IOException e) {
            throw new CliException("cannot read " + option + " " + file + ": " + CliErrors.describe(e), null);
        }
    }

    /** Waits for a future from the main thread, turning a failure into a clear message. */
    public static <T> T await(final Future<T> f, final String what) {
        return await(f, what, java.time.Duration.ofSeconds(120));
    }

    /** Like {@link #await(Future, String)}, waiting at most {@code max}. */
    public static <T> T await(final Future<T> f, final String what, final java.time.Duration max) {
        try {
            return f.await(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            final Throwable cause = (e instanceof java.util.concurrent.CompletionException
                    || e instanceof java.util.concurrent.ExecutionException) && e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException(what + " failed: " + CliErrors.describe(cause), cause);
        }
    }

    /** The role is up ({@link StartupLogs} ends): runs until SIGINT/SIGTERM, then runs {@code stop} and closes Vert.x. */
    public static int runUntilStopped(final Vertx vertx, final Supplier<Future<?>> stop) {
        StartupLogs.started();
        final CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                stop.get().transform(x -> vertx.close()).await(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                // shutting down anyway
            }
            done.countDown();
        }, "cpns-shutdown"));
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
