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

    /** Reads a one-line secret from a file (trailing newline removed). */
    public static String readSecret(final Path file, final String what) {
        try {
            final String s = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (s.isEmpty()) {
                throw new IllegalArgumentException(what + " file " + file + " is empty");
            }
            return s;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + what + " from " + file + ": " + e.getMessage());
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
            final Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IllegalStateException(what + " failed: " + (cause.getMessage() == null ? cause : cause.getMessage()), cause);
        }
    }

    /** Runs until SIGINT/SIGTERM, then runs {@code stop} and closes Vert.x. */
    public static int runUntilStopped(final Vertx vertx, final Supplier<Future<?>> stop) {
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
