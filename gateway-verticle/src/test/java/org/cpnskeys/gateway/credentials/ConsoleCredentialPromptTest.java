package org.cpnskeys.gateway.credentials;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedReader;
import java.io.PipedWriter;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.protocol.UserId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConsoleCredentialPromptTest {
    private static final String REALM = "testrealm@host.com";
    private static final String HA1 = "939e7578ed9e3c518a452acee763bce9";

    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
    private ConsoleCredentialPrompt prompt;

    @AfterEach
    void close() {
        if (prompt != null) {
            prompt.close();
        }
    }

    private ConsoleCredentialPrompt over(final Vertx vertx, final String typed) {
        prompt = new ConsoleCredentialPrompt(vertx, new BufferedReader(new StringReader(typed)), out);
        return prompt;
    }

    private String printed() {
        return output.toString(StandardCharsets.UTF_8);
    }

    /** Verifies that a typed user and password come back as HA1, and the password is not printed. */
    @Test
    void ask_userAndPassword_returnsHa1(final Vertx vertx, final VertxTestContext test) {
        over(vertx, "Mufasa\nCircle Of Life\n").ask(REALM, "PNE bulb-1 waits for its EUKey")
                .onComplete(test.succeeding(given -> test.verify(() -> {
                    final UserCredentials c = given.orElseThrow();
                    assertEquals(UserId.of("Mufasa"), c.userId());
                    assertEquals(REALM, c.realm());
                    assertEquals(HA1, c.ha1().hex());
                    assertTrue(printed().contains("PNE bulb-1 waits for its EUKey"), printed());
                    assertFalse(printed().contains("Circle Of Life"));
                    test.completeNow();
                })));
    }

    /** Verifies that an empty User ID declines. */
    @Test
    void ask_emptyUser_empty(final Vertx vertx, final VertxTestContext test) {
        over(vertx, "\n").ask(REALM, "why").onComplete(test.succeeding(given -> test.verify(() -> {
            assertTrue(given.isEmpty());
            test.completeNow();
        })));
    }

    /** Verifies that the end of input declines. */
    @Test
    void ask_endOfInput_empty(final Vertx vertx, final VertxTestContext test) {
        over(vertx, "Mufasa\n").ask(REALM, "why").onComplete(test.succeeding(given -> test.verify(() -> {
            assertTrue(given.isEmpty());
            test.completeNow();
        })));
    }

    /** Verifies that an invalid User ID is explained and asked again. */
    @Test
    void ask_invalidThenValidUser_asksAgain(final Vertx vertx, final VertxTestContext test) {
        over(vertx, "not:valid\nMufasa\nCircle Of Life\n").ask(REALM, "why")
                .onComplete(test.succeeding(given -> test.verify(() -> {
                    assertEquals(HA1, given.orElseThrow().ha1().hex());
                    assertTrue(printed().contains("User ID is not valid"), printed());
                    test.completeNow();
                })));
    }

    /** Verifies that a realm that cannot be stored is refused without asking. */
    @Test
    void ask_realmWithColon_fails(final Vertx vertx, final VertxTestContext test) {
        over(vertx, "Mufasa\npw\n").ask("a:b", "why").onComplete(test.failing(e -> test.verify(() -> {
            assertTrue(e instanceof IllegalArgumentException);
            assertEquals("", printed());
            test.completeNow();
        })));
    }

    /** Verifies that the answer arrives on the caller's context, and that concurrent asks share one prompt. */
    @Test
    void ask_twiceFromContext_onePromptAnsweredOnCallerContext(final Vertx vertx, final VertxTestContext test)
            throws IOException {
        final PipedWriter typing = new PipedWriter();
        prompt = new ConsoleCredentialPrompt(vertx, new BufferedReader(new PipedReader(typing)), out);
        final Context context = vertx.getOrCreateContext();
        context.runOnContext(v -> {
            final Future<Optional<UserCredentials>> first = prompt.ask(REALM, "why");
            final Future<Optional<UserCredentials>> second = prompt.ask(REALM, "why again");
            test.verify(() -> assertSame(first, second));
            first.onComplete(test.succeeding(given -> test.verify(() -> {
                assertSame(context, Vertx.currentContext());
                assertEquals(HA1, given.orElseThrow().ha1().hex());
                typing.close();
                test.completeNow();
            })));
            // Typed only once both asks are registered (a short write: the pipe's buffer takes it at once).
            test.verify(() -> {
                typing.write("Mufasa\nCircle Of Life\n");
                typing.flush();
            });
        });
    }
}
