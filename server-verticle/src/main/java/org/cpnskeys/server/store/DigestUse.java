package org.cpnskeys.server.store;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * One use of a digest answer's (nonce, nc) pair: the store records it in the transaction of the key it authorised
 * and refuses the pair ever after (a unique key), until the nonce has expired and the record is purged.
 *
 * @param nonce       the nonce's decoded bytes (never its text: two spellings of one nonce are one nonce)
 * @param nc          the nonce count
 * @param nonceExpiry when the nonce expires; always the same for one nonce (it is read from the nonce)
 */
public record DigestUse(byte[] nonce, long nc, Instant nonceExpiry) {

    public DigestUse {
        Objects.requireNonNull(nonce, "nonce");
        Objects.requireNonNull(nonceExpiry, "nonceExpiry");
        if (nonce.length == 0 || nc < 1) {
            throw new IllegalArgumentException("a digest use needs a nonce and a positive nonce count");
        }
        nonce = nonce.clone();
    }

    /** A copy of the nonce's bytes. */
    @Override
    public byte[] nonce() {
        return nonce.clone();
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof DigestUse u && Arrays.equals(nonce, u.nonce) && nc == u.nc
                && nonceExpiry.equals(u.nonceExpiry);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(nonce) + Long.hashCode(nc);
    }

    @Override
    public String toString() {
        return "DigestUse[nonce=" + nonce.length + " bytes, nc=" + nc + ", nonceExpiry=" + nonceExpiry + "]";
    }
}
