package org.cpnskeys.protocol;

import java.util.Arrays;

/**
 * Where a consent receipt sits in a batch the gateway signed with one Ed25519 signature: the signature covers the
 * root of a Merkle tree (RFC 9162 section 2.1.1: SHA-256, leaves prefixed 0x00, nodes 0x01) over the batch's
 * receipts in order, and this is the receipt's inclusion proof (RFC 9162 section 2.1.3). A receipt signed alone
 * has none.
 *
 * @param index the receipt's leaf index, 0 to {@code size - 1}
 * @param size how many receipts the batch signed, 2 to {@link #MAX_SIZE}
 * @param path the inclusion proof: the sibling hashes from the leaf up, 32 bytes each, concatenated
 */
public record ConsentBatch(int index, int size, byte[] path) {
    /** The most receipts one signature covers (so a path has at most 12 hashes). */
    public static final int MAX_SIZE = 4096;
    public static final int HASH_BYTES = 32;

    public ConsentBatch {
        if (size < 2 || size > MAX_SIZE) {
            throw new IllegalArgumentException("consent.batchSize must be 2 to " + MAX_SIZE);
        }
        if (index < 0 || index >= size) {
            throw new IllegalArgumentException("consent.batchIndex must be below consent.batchSize");
        }
        if (path.length == 0 || path.length % HASH_BYTES != 0 || path.length / HASH_BYTES > 12) {
            throw new IllegalArgumentException("consent.batchPath must be 1 to 12 SHA-256 hashes");
        }
        path = path.clone();
    }

    @Override
    public byte[] path() {
        return path.clone();
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof ConsentBatch b && index == b.index && size == b.size && Arrays.equals(path, b.path);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * index + size) + Arrays.hashCode(path);
    }

    @Override
    public String toString() {
        return "ConsentBatch[index=" + index + ", size=" + size + "]";
    }
}
