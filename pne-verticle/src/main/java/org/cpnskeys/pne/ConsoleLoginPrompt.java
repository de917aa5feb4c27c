package org.cpnskeys.pne;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.protocol.UserId;

/**
 * R1: the user types the User ID and password on the device. Reads on a worker thread; with a real console
 * the password is not echoed.
 */
public final class ConsoleLoginPrompt implements LoginPrompt {
    private final Vertx vertx;
    private final BufferedReader in;
    private final PrintStream out;
    private final Console console;

    public ConsoleLoginPrompt(final Vertx vertx, final BufferedReader in, final PrintStream out) {
        this(vertx, in, out, null);
    }

    private ConsoleLoginPrompt(final Vertx vertx, final BufferedReader in, final PrintStream out, final Console console) {
        this.vertx = vertx;
        this.in = in;
        this.out = out;
        this.console = console;
    }

    /** Uses the terminal when there is one (no echo of the password), standard input otherwise. */
    public static ConsoleLoginPrompt system(final Vertx vertx) {
        return new ConsoleLoginPrompt(vertx, new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)),
                System.out, System.console());
    }

    @Override
    public Future<UserId> userId() {
        return vertx.executeBlocking(() -> {
            final String line = console != null ? console.readLine("User ID: ") : prompt("User ID: ");
            if (line == null || line.isBlank()) {
                throw new IllegalArgumentException("no User ID given");
            }
            return UserId.of(line.trim());
        });
    }

    @Override
    public Future<char[]> password(final String realm) {
        return vertx.executeBlocking(() -> {
            if (console != null) {
                final char[] pw = console.readPassword("Password for realm %s: ", realm);
                if (pw == null) {
                    throw new IllegalArgumentException("no password given");
                }
                return pw;
            }
            final String line = prompt("Password for realm " + realm + ": ");
            if (line == null) {
                throw new IllegalArgumentException("no password given");
            }
            return line.toCharArray();
        });
    }

    private String prompt(final String text) throws IOException {
        out.print(text);
        out.flush();
        return in.readLine();
    }
}
