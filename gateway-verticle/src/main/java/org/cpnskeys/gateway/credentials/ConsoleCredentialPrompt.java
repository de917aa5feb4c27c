package org.cpnskeys.gateway.credentials;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.DigestClient;

/**
 * A {@link CredentialPrompt} on a text console: prints why it asks, reads a User ID and a password, and answers
 * with HA1 only (the password is used once by {@link DigestClient#ha1} and its array zeroed).
 *
 * <p>Reading blocks until the user types, possibly for minutes, and a console read cannot be interrupted, so it
 * runs on this prompt's own daemon thread (not a Vert.x worker: the blocked-thread checker would warn after a
 * minute, and a non-daemon thread stuck in a read would keep the JVM alive at shutdown). The future completes on
 * the Vert.x context of the caller of {@link #ask}. Asks for the same realm while one is on screen share its answer,
 * so the user is asked once however many PNEs wait.
 *
 * <p>{@link #system(Vertx)} prefers {@link Console#readPassword} so the password is not echoed. The stream form
 * ({@link #ConsoleCredentialPrompt(Vertx, BufferedReader, PrintStream)}) reads the password as a line: it is for
 * tests and pipes, and the line briefly exists as a String.
 *
 * <p>Do not read the same console with another reader (e.g. a console approval) at the same time.
 */
public final class ConsoleCredentialPrompt implements CredentialPrompt, AutoCloseable {
    /** Invalid User IDs accepted before the prompt gives up with an empty answer. */
    public static final int MAX_ATTEMPTS = 3;

    private final Vertx vertx;
    private final Terminal terminal;
    private final ExecutorService reader;
    private final Map<String, Future<Optional<UserCredentials>>> inFlight = new HashMap<>();

    /** A prompt over the given streams (the password is echoed if the input is a terminal: see {@link #system}). */
    public ConsoleCredentialPrompt(final Vertx vertx, final BufferedReader in, final PrintStream out) {
        this(vertx, new StreamTerminal(Objects.requireNonNull(in, "in"), Objects.requireNonNull(out, "out")));
    }

    private ConsoleCredentialPrompt(final Vertx vertx, final Terminal terminal) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.terminal = terminal;
        this.reader = Executors.newSingleThreadExecutor(r -> {
            final Thread t = new Thread(r, "cpns-credential-prompt");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The prompt for this process: over {@link System#console()} when there is one (the password is read without
     * echo), otherwise over standard input and output (with a warning that the password will be visible).
     */
    public static ConsoleCredentialPrompt system(final Vertx vertx) {
        final Console console = System.console();
        if (console != null) {
            return new ConsoleCredentialPrompt(vertx, new ConsoleTerminal(console));
        }
        final StreamTerminal streams = new StreamTerminal(
                new BufferedReader(new InputStreamReader(System.in, Charset.defaultCharset())), System.out);
        streams.warnEcho = true;
        return new ConsoleCredentialPrompt(vertx, streams);
    }

    @Override
    public Future<Optional<UserCredentials>> ask(final String realm, final String why) {
        try {
            UserCredentials.checkRealm(realm);
        } catch (IllegalArgumentException e) {
            return Future.failedFuture(e);
        }
        final Context context = vertx.getOrCreateContext();
        synchronized (inFlight) {
            final Future<Optional<UserCredentials>> running = inFlight.get(realm);
            if (running != null) {
                return running;
            }
            final Promise<Optional<UserCredentials>> promise = Promise.promise();
            try {
                reader.execute(() -> answer(promise, context, realm, why));
            } catch (RejectedExecutionException e) {
                return Future.failedFuture(new IllegalStateException("credential prompt is closed"));
            }
            inFlight.put(realm, promise.future());
            return promise.future();
        }
    }

    /** Stops the reading thread once the current read (if any) returns; later asks fail. */
    @Override
    public void close() {
        reader.shutdown();
    }

    private void answer(final Promise<Optional<UserCredentials>> promise, final Context context, final String realm,
            final String why) {
        Optional<UserCredentials> result;
        Throwable failure = null;
        try {
            result = readBlocking(realm, why);
        } catch (IOException | RuntimeException e) {
            result = Optional.empty();
            failure = e;
        }
        synchronized (inFlight) {
            inFlight.remove(realm);
        }
        final Optional<UserCredentials> outcome = result;
        final Throwable error = failure;
        context.runOnContext(v -> {
            if (error == null) {
                promise.complete(outcome);
            } else {
                promise.fail(new IOException("cannot read the credentials from the console", error));
            }
        });
    }

    /** Blocking: runs on the reader thread. */
    private Optional<UserCredentials> readBlocking(final String realm, final String why) throws IOException {
        terminal.println("");
        terminal.println("CPNS credentials needed: " + printable(why));
        if (terminal.echoesPasswords()) {
            terminal.println("(warning: no console, the password will be visible as you type it)");
        }
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            final String line = terminal.readLine("User ID for realm \"" + printable(realm) + "\" (empty to decline): ");
            if (line == null || line.isBlank()) {
                terminal.println("No credentials given.");
                return Optional.empty();
            }
            final UserId user;
            try {
                user = UserId.of(line.strip());
            } catch (IllegalArgumentException e) {
                terminal.println(e.getMessage());
                continue;
            }
            final char[] password = terminal.readPassword("Password for " + user + ": ");
            if (password == null || password.length == 0) {
                terminal.println("No password given.");
                return Optional.empty();
            }
            try {
                final UserCredentials credentials = new UserCredentials(user, realm,
                        DigestClient.ha1(user.value(), realm, password));
                terminal.println("Credentials of user " + user + " taken (the password is not stored).");
                return Optional.of(credentials);
            } finally {
                Arrays.fill(password, '\0');
            }
        }
        terminal.println("Too many invalid User IDs.");
        return Optional.empty();
    }

    /** Removes control and format characters (terminal escapes, bidi overrides) from text that may come from a device. */
    static String printable(final String s) {
        return s == null ? "" : s.codePoints().filter(c -> !Character.isISOControl(c) && Character.getType(c) != Character.FORMAT)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    }

    private interface Terminal {
        void println(String line);

        String readLine(String prompt) throws IOException;

        char[] readPassword(String prompt) throws IOException;

        boolean echoesPasswords();
    }

    private static final class StreamTerminal implements Terminal {
        private final BufferedReader in;
        private final PrintStream out;
        private boolean warnEcho;

        StreamTerminal(final BufferedReader in, final PrintStream out) {
            this.in = in;
            this.out = out;
        }

        @Override
        public void println(final String line) {
            out.println(line);
            out.flush();
        }

        @Override
        public String readLine(final String prompt) throws IOException {
            out.print(prompt);
            out.flush();
            return in.readLine();
        }

        @Override
        public char[] readPassword(final String prompt) throws IOException {
            final String line = readLine(prompt);
            return line == null ? null : line.toCharArray();
        }

        @Override
        public boolean echoesPasswords() {
            return warnEcho;
        }
    }

    private static final class ConsoleTerminal implements Terminal {
        private final Console console;

        ConsoleTerminal(final Console console) {
            this.console = console;
        }

        @Override
        public void println(final String line) {
            console.writer().println(line);
            console.flush();
        }

        @Override
        public String readLine(final String prompt) {
            return console.readLine("%s", prompt);
        }

        @Override
        public char[] readPassword(final String prompt) {
            return console.readPassword("%s", prompt);
        }

        @Override
        public boolean echoesPasswords() {
            return false;
        }
    }
}
