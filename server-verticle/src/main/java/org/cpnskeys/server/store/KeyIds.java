package org.cpnskeys.server.store;

import java.util.HexFormat;
import java.util.Random;

import org.cpnskeys.protocol.KeyId;

/**
 * New Key IDs, ordered by time: 48 bits of the assignment's Unix time in milliseconds, then 80 random bits, as 32
 * lowercase hex digits (the layout of a version-7 UUID, RFC 9562, without its version bits).
 *
 * <p>Why ordered: a Key ID is unique in the store, so each new one is inserted into a B-tree index. Random IDs put
 * every insert on a random page of that index, and each group commit writes all of those pages to the WAL (and each
 * checkpoint writes them back into a growing file). IDs that grow with time are inserted at the right edge of the
 * index, on a few pages that stay in cache. A Key ID is public (it names a key in logs and messages, never the key
 * itself), so its time prefix discloses nothing the store's {@code createdAt} does not; the 80 random bits keep two
 * servers assigning in the same millisecond apart.
 */
public final class KeyIds {
    private static final HexFormat HEX = HexFormat.of();
    private static final int TIME_BYTES = 6;
    private static final int RANDOM_BYTES = 10;

    private KeyIds() {
    }

    /** A new Key ID for an assignment at {@code epochMillis}, with its random part from {@code random}. */
    public static KeyId next(final long epochMillis, final Random random) {
        if (epochMillis < 0 || epochMillis >= 1L << (8 * TIME_BYTES)) {
            throw new IllegalArgumentException("time out of the 48-bit range of a Key ID: " + epochMillis);
        }
        final byte[] id = new byte[TIME_BYTES + RANDOM_BYTES];
        random.nextBytes(id); // the random part; its first TIME_BYTES are then overwritten with the time
        for (int i = 0; i < TIME_BYTES; i++) {
            id[i] = (byte) (epochMillis >>> (8 * (TIME_BYTES - 1 - i)));
        }
        return KeyId.of(HEX.formatHex(id));
    }
}
