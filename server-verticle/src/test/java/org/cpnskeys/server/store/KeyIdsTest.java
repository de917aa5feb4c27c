package org.cpnskeys.server.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;

import org.cpnskeys.protocol.KeyId;
import org.junit.jupiter.api.Test;

class KeyIdsTest {
    private final SecureRandom random = new SecureRandom();

    @Test
    void timePrefixThenRandom_as32HexDigits() {
        final long t = 1_795_000_000_123L; // 2026-11-18
        final KeyId id = KeyIds.next(t, random);
        assertTrue(id.value().matches("[0-9a-f]{32}"), id.value());
        assertEquals(t, Long.parseLong(id.value().substring(0, 12), 16));
    }

    @Test
    void laterMillisecond_sortsAfter_asTextAndAsBytes() {
        final long t = 1_795_000_000_000L;
        for (int i = 0; i < 1_000; i++) {
            final String earlier = KeyIds.next(t + i, random).value();
            final String later = KeyIds.next(t + i + 1, random).value();
            assertTrue(earlier.compareTo(later) < 0, earlier + " !< " + later);
        }
    }

    @Test
    void sameMillisecond_stillDistinct() {
        final Set<String> seen = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            assertTrue(seen.add(KeyIds.next(1_795_000_000_000L, random).value()));
        }
    }

    @Test
    void timeOutsideFortyEightBits_refused() {
        assertThrows(IllegalArgumentException.class, () -> KeyIds.next(-1, random));
        assertThrows(IllegalArgumentException.class, () -> KeyIds.next(1L << 48, random));
        assertEquals("ffffffffffff", KeyIds.next((1L << 48) - 1, random).value().substring(0, 12));
    }
}
