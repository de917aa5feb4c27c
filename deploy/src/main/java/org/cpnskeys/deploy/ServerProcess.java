package org.cpnskeys.deploy;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A {@code cpns server} (or, with {@link #startRole}, any role: {@code cpns broker}, {@code cpns gateway}) in its
 * own JVM (same Java, given classpath), for the load generator and the crash tests: its output is copied to a
 * log file and kept in memory; {@link #start} returns once it logged "CPNS Server ready" (bounded wait; a role,
 * once it printed its ready line), and {@link #kill()} is SIGKILL (on Linux).
 */
public final class ServerProcess implements AutoCloseable {
    /** What the server logs once it takes Key Requests. */
    public static final String READY_LINE = "CPNS Server ready";

    private final String name;
    private final String readyLine;
    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final CountDownLatch ready = new CountDownLatch(1);
    private final CountDownLatch ended = new CountDownLatch(1);

    private ServerProcess(final String name, final String readyLine, final Process process) {
        this.name = name;
        this.readyLine = readyLine;
        this.process = process;
    }

    /**
     * Starts {@code cpns server ARGS} with {@code jvmOptions} on {@code classpath}, its output to {@code log};
     * waits up to {@code readyWithin} for its ready line, else kills it and fails with the log's tail.
     */
    public static ServerProcess start(final String name, final String classpath, final List<String> jvmOptions,
            final List<String> serverArgs, final Path log, final Duration readyWithin)
            throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>(List.of("server"));
        command.addAll(serverArgs);
        return startRole(name, classpath, jvmOptions, command, READY_LINE, log, readyWithin);
    }

    /**
     * As {@link #start}, for any role: {@code cpns COMMAND ARGS} (e.g. {@code broker ...}, {@code gateway ...}),
     * ready once it printed a line containing {@code readyLine}.
     */
    public static ServerProcess startRole(final String name, final String classpath, final List<String> jvmOptions,
            final List<String> commandAndArgs, final String readyLine, final Path log, final Duration readyWithin)
            throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classpath, Cpns.class.getName()));
        command.addAll(commandAndArgs);
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        final ServerProcess server = new ServerProcess(name, readyLine, builder.start());
        final Thread reader = new Thread(() -> server.copyOutput(log), name + "-output");
        reader.setDaemon(true);
        reader.start();
        if (!server.ready.await(readyWithin.toMillis(), TimeUnit.MILLISECONDS)) {
            server.kill();
            throw new IllegalStateException(name + " not ready within " + readyWithin + "; last output:\n"
                    + server.tail(30));
        }
        return server;
    }

    private void copyOutput(final Path log) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                BufferedWriter w = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
                w.write(line);
                w.newLine();
                w.flush();
                if (line.contains(readyLine)) {
                    ready.countDown();
                }
            }
        } catch (IOException e) {
            // the process ended
        } finally {
            ended.countDown();
            ready.countDown();
        }
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** Every line it printed so far. */
    public List<String> output() {
        return List.copyOf(lines);
    }

    /** The last {@code n} lines it printed. */
    public String tail(final int n) {
        final List<String> all = output();
        return String.join("\n", all.subList(Math.max(0, all.size() - n), all.size()));
    }

    /** SIGKILL (ProcessHandle.destroyForcibly): no shutdown hook, no goodbye to the broker or the cluster. */
    public void kill() throws InterruptedException {
        process.toHandle().destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        ended.await(10, TimeUnit.SECONDS);
    }

    /** SIGTERM, the orderly stop; SIGKILL if it has not ended within {@code max}. */
    public void stop(final Duration max) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(max.toMillis(), TimeUnit.MILLISECONDS)) {
            kill();
        }
    }

    @Override
    public void close() {
        try {
            stop(Duration.ofSeconds(20));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
