package org.cpnskeys.server.store;

import java.util.Arrays;
import java.util.Objects;

import org.cpnskeys.protocol.KeyId;

/**
 * One re-sealed key for {@link EuKeyRepository#replaceSeals}: the row with {@code keyId} gets {@code toSeal} and
 * {@code to}, if it still has {@code fromSeal} and {@code from} (so that a concurrent change, another server's
 * re-sealing or an operator's edit, is never overwritten).
 */
public record SealChange(KeyId keyId, int fromSeal, byte[] from, int toSeal, byte[] to) {

    public SealChange {
        Objects.requireNonNull(keyId, "keyId");
        from = Objects.requireNonNull(from, "from").clone();
        to = Objects.requireNonNull(to, "to").clone();
    }

    @Override
    public byte[] from() {
        return from.clone();
    }

    @Override
    public byte[] to() {
        return to.clone();
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof SealChange c && keyId.equals(c.keyId) && fromSeal == c.fromSeal && toSeal == c.toSeal
                && Arrays.equals(from, c.from) && Arrays.equals(to, c.to);
    }

    @Override
    public int hashCode() {
        return Objects.hash(keyId, fromSeal, toSeal);
    }

    @Override
    public String toString() {
        return "SealChange[keyId=" + keyId + ", seal " + fromSeal + " -> " + toSeal + "]";
    }
}
