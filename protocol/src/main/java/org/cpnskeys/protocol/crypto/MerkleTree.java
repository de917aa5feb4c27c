package org.cpnskeys.protocol.crypto;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;

/**
 * The Merkle tree hash of RFC 9162 (Certificate Transparency 2.0) section 2.1 over SHA-256: a leaf hashes as
 * {@code SHA-256(0x00 || data)}, a node as {@code SHA-256(0x01 || left || right)}, and a tree of n leaves splits at
 * the largest power of two below n. Inclusion proofs as in its section 2.1.3. Used to sign a batch of consent
 * receipts with one signature.
 */
public final class MerkleTree {
    public static final int HASH_BYTES = 32;

    private MerkleTree() {
    }

    /** The hash of one leaf. */
    public static byte[] leafHash(final byte[] data) {
        final MessageDigest d = sha256();
        d.update((byte) 0x00);
        d.update(data);
        return d.digest();
    }

    private static byte[] nodeHash(final byte[] left, final byte[] right) {
        final MessageDigest d = sha256();
        d.update((byte) 0x01);
        d.update(left);
        d.update(right);
        return d.digest();
    }

    /** The root of the tree over these leaf hashes, in order (at least one). */
    public static byte[] root(final List<byte[]> leaves) {
        if (leaves.isEmpty()) {
            throw new IllegalArgumentException("a Merkle tree needs a leaf");
        }
        if (leaves.size() == 1) {
            return leaves.get(0).clone();
        }
        final int k = split(leaves.size());
        return nodeHash(root(leaves.subList(0, k)), root(leaves.subList(k, leaves.size())));
    }

    /** The inclusion proof of leaf {@code index} (RFC 9162 2.1.3.1), its hashes concatenated. */
    public static byte[] path(final int index, final List<byte[]> leaves) {
        if (index < 0 || index >= leaves.size()) {
            throw new IllegalArgumentException("no leaf " + index);
        }
        if (leaves.size() == 1) {
            return new byte[0];
        }
        final int k = split(leaves.size());
        final byte[] below;
        final byte[] sibling;
        if (index < k) {
            below = path(index, leaves.subList(0, k));
            sibling = root(leaves.subList(k, leaves.size()));
        } else {
            below = path(index - k, leaves.subList(k, leaves.size()));
            sibling = root(leaves.subList(0, k));
        }
        final byte[] out = Arrays.copyOf(below, below.length + HASH_BYTES);
        System.arraycopy(sibling, 0, out, below.length, HASH_BYTES);
        return out;
    }

    /**
     * The root that leaf {@code leafHash} at {@code index} of a tree of {@code size} leaves leads to through
     * {@code path} (RFC 9162 2.1.3.2); null when the path cannot be one for that index and size.
     */
    public static byte[] rootFromPath(final int index, final int size, final byte[] leafHash, final byte[] path) {
        if (index < 0 || index >= size || path.length % HASH_BYTES != 0) {
            return null;
        }
        long fn = index;
        long sn = size - 1L;
        byte[] r = leafHash;
        for (int off = 0; off < path.length; off += HASH_BYTES) {
            final byte[] p = Arrays.copyOfRange(path, off, off + HASH_BYTES);
            if (sn == 0) {
                return null;
            }
            if ((fn & 1) == 1 || fn == sn) {
                r = nodeHash(p, r);
                if ((fn & 1) == 0) {
                    while ((fn & 1) == 0 && fn != 0) {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                r = nodeHash(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 ? r : null;
    }

    /** A tree's root and every leaf's inclusion proof, made in one pass. */
    public record Proofs(byte[] root, List<byte[]> paths) {
    }

    /**
     * The root and all inclusion proofs of the tree over these leaf hashes (at least one), level by level: nodes pair
     * up left to right and a last node without a partner moves up unchanged, which builds the same tree as the
     * recursive definition (its split at the largest power of two below n) in O(n log n) hashes for all proofs.
     */
    public static Proofs proofs(final List<byte[]> leaves) {
        final int n = leaves.size();
        if (n == 0) {
            throw new IllegalArgumentException("a Merkle tree needs a leaf");
        }
        final java.io.ByteArrayOutputStream[] paths = new java.io.ByteArrayOutputStream[n];
        final int[] position = new int[n];
        for (int i = 0; i < n; i++) {
            paths[i] = new java.io.ByteArrayOutputStream(HASH_BYTES * 12);
            position[i] = i;
        }
        List<byte[]> level = leaves;
        while (level.size() > 1) {
            for (int i = 0; i < n; i++) {
                final int sibling = position[i] ^ 1;
                if (sibling < level.size()) {
                    paths[i].writeBytes(level.get(sibling));
                }
                position[i] >>= 1;
            }
            final List<byte[]> up = new java.util.ArrayList<>((level.size() + 1) / 2);
            for (int i = 0; i + 1 < level.size(); i += 2) {
                up.add(nodeHash(level.get(i), level.get(i + 1)));
            }
            if (level.size() % 2 == 1) {
                up.add(level.get(level.size() - 1));
            }
            level = up;
        }
        final List<byte[]> out = new java.util.ArrayList<>(n);
        for (final java.io.ByteArrayOutputStream p : paths) {
            out.add(p.toByteArray());
        }
        return new Proofs(level.get(0).clone(), out);
    }

    private static int split(final int n) {
        return Integer.highestOneBit(n - 1);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256", e);
        }
    }
}
