package org.cpnskeys.pne;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import org.cpnskeys.protocol.UserId;

/** R1 without a terminal: the user's ID and password read from standard input, the prompts on standard output. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ConsoleLoginPromptTest {
    private final ByteArrayOutputStream shown = new ByteArrayOutputStream();

    private ConsoleLoginPrompt prompt(final Vertx vertx, final String typed) {
        return new ConsoleLoginPrompt(vertx, new BufferedReader(new StringReader(typed)),
                new PrintStream(shown, true, StandardCharsets.UTF_8));
    }

    private String shown() {
        return shown.toString(StandardCharsets.UTF_8);
    }

    @Test
    void typedUserAndPassword_read_passwordNotShown(final Vertx vertx, final VertxTestContext ctx) {
        final ConsoleLoginPrompt prompt = prompt(vertx, "  alice \ns3cret pass\n");
        prompt.userId().compose(user -> prompt.password("cpns-0123").map(pw -> {
            ctx.verify(() -> {
                assertEquals(UserId.of("alice"), user, "the User ID without surrounding blanks");
                assertArrayEquals("s3cret pass".toCharArray(), pw, "the password exactly as typed");
                assertTrue(shown().contains("User ID: ") && shown().contains("Password for realm cpns-0123: "),
                        shown());
                assertFalse(shown().contains("s3cret"), "the password is never written out");
            });
            return pw;
        })).onComplete(ctx.succeedingThenComplete());
    }

    @Test
    void blankUserId_fails(final Vertx vertx, final VertxTestContext ctx) {
        prompt(vertx, "   \n").userId().onComplete(ctx.failing(e -> ctx.verify(() -> {
            assertEquals("no User ID given", e.getMessage());
            ctx.completeNow();
        })));
    }

    @Test
    void endOfInputBeforeThePassword_fails(final Vertx vertx, final VertxTestContext ctx) {
        prompt(vertx, "").password("cpns").onComplete(ctx.failing(e -> ctx.verify(() -> {
            assertEquals("no password given", e.getMessage());
            ctx.completeNow();
        })));
    }
}
