package org.cpnskeys.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** The hand-written identifier check accepts exactly what the documented patterns accept. */
class IdentifiersTest {
    private static final String ALPHABET = "aqzAQZ059._-@+:/# $\u00e9\u0000\n";

    /** Verifies agreement with {@link Identifiers#ID} and {@link Identifiers#USER} on 200,000 random strings. */
    @Test
    void matches_randomStrings_agreesWithPatterns() {
        final SplittableRandom random = new SplittableRandom(20261128);
        int accepted = 0;
        for (int i = 0; i < 200_000; i++) {
            final int length = random.nextInt(i % 10 == 0 ? 68 : 6);
            final StringBuilder s = new StringBuilder();
            for (int j = 0; j < length; j++) {
                // mostly legal characters, so that long valid identifiers occur too
                s.append(random.nextInt(4) == 0 ? ALPHABET.charAt(random.nextInt(ALPHABET.length()))
                        : ALPHABET.charAt(random.nextInt(12)));
            }
            final String v = s.toString();
            assertEquals(Identifiers.ID.matcher(v).matches(), Identifiers.matches(v, false), v);
            assertEquals(Identifiers.USER.matcher(v).matches(), Identifiers.matches(v, true), v);
            accepted += Identifiers.matches(v, true) ? 1 : 0;
        }
        assertTrue(accepted > 10_000, "the sample holds valid identifiers too: " + accepted);
    }

    /** Verifies the edges: length 64 accepted, 65 refused, a leading dot refused, '@' only in User IDs. */
    @Test
    void matches_edges() {
        assertTrue(Identifiers.matches("a".repeat(64), false));
        assertFalse(Identifiers.matches("a".repeat(65), false));
        assertFalse(Identifiers.matches("", false));
        assertFalse(Identifiers.matches(".a", false));
        assertTrue(Identifiers.matches("a.b", false));
        assertFalse(Identifiers.matches("alice@example.org", false));
        assertTrue(Identifiers.matches("alice@example.org", true));
        assertFalse(Identifiers.matches("@alice", true));
    }
}
