package org.cpnskeys.protocol.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The Merkle tree of RFC 9162 against the published Certificate Transparency test vectors (the eight leaves of the
 * RFC 6962 reference test data, the root of each prefix of them, and two inclusion proofs), then every leaf's proof
 * in trees of 1 to 33 leaves, and the proofs that must fail.
 */
class MerkleTreeTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final String[] LEAVES = {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
        "606162636465666768696a6b6c6d6e6f"};
    private static final String[] ROOTS = {
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};

    private static List<byte[]> leafHashes(final int n) {
        final List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(MerkleTree.leafHash(HEX.parseHex(LEAVES[i])));
        }
        return out;
    }

    @Test
    void root_matchesTheCertificateTransparencyVectors_forEachTreeSize() {
        for (int n = 1; n <= 8; n++) {
            assertEquals(ROOTS[n - 1], HEX.formatHex(MerkleTree.root(leafHashes(n))), n + " leaves");
        }
    }

    @Test
    void proofs_matchTheCertificateTransparencyVectors() {
        final MerkleTree.Proofs all = MerkleTree.proofs(leafHashes(8));
        assertEquals(ROOTS[7], HEX.formatHex(all.root()));
        assertEquals(HEX.formatHex(MerkleTree.path(0, leafHashes(8))), HEX.formatHex(all.paths().get(0)));
        assertEquals("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
                + "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"
                + "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7", HEX.formatHex(all.paths().get(5)));
        for (int n = 1; n <= 8; n++) {
            assertEquals(ROOTS[n - 1], HEX.formatHex(MerkleTree.proofs(leafHashes(n)).root()), n + " leaves");
        }
    }

    @Test
    void path_matchesTheCertificateTransparencyVectors() {
        assertEquals("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"
                + "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"
                + "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                HEX.formatHex(MerkleTree.path(0, leafHashes(8))));
        assertEquals("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
                + "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"
                + "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                HEX.formatHex(MerkleTree.path(5, leafHashes(8))));
    }

    @Test
    void everyLeafsPath_leadsToTheRoot_inTreesOf1To33Leaves() {
        for (int n = 1; n <= 33; n++) {
            final List<byte[]> leaves = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                leaves.add(MerkleTree.leafHash(new byte[] {(byte) i, (byte) n}));
            }
            final byte[] root = MerkleTree.root(leaves);
            final MerkleTree.Proofs all = MerkleTree.proofs(leaves);
            assertArrayEquals(root, all.root(), "the one-pass root, " + n + " leaves");
            for (int i = 0; i < n; i++) {
                assertArrayEquals(root, MerkleTree.rootFromPath(i, n, leaves.get(i), MerkleTree.path(i, leaves)),
                        "leaf " + i + " of " + n);
                assertArrayEquals(MerkleTree.path(i, leaves), all.paths().get(i), "one-pass path, leaf " + i + " of " + n);
            }
        }
    }

    @Test
    void rootFromPath_anotherIndexSizeLeafOrPath_doesNotLeadToTheRoot() {
        final List<byte[]> leaves = leafHashes(8);
        final byte[] root = MerkleTree.root(leaves);
        final byte[] path = MerkleTree.path(5, leaves);
        assertArrayEquals(root, MerkleTree.rootFromPath(5, 8, leaves.get(5), path));
        assertNotRoot(root, MerkleTree.rootFromPath(4, 8, leaves.get(5), path));
        // (a smaller size can lead to the same root: leaf 5's path has the same shape in 7 leaves as in 8; that is
        // why a batch signature covers the size with the root, ConsentSignatureTest)
        assertNull(MerkleTree.rootFromPath(5, 5, leaves.get(5), path), "index beyond the tree");
        assertNotRoot(root, MerkleTree.rootFromPath(5, 8, leaves.get(4), path));
        final byte[] flipped = path.clone();
        flipped[40] ^= 1;
        assertNotRoot(root, MerkleTree.rootFromPath(5, 8, leaves.get(5), flipped));
        assertNull(MerkleTree.rootFromPath(5, 8, leaves.get(5), Arrays.copyOf(path, 64 + 32 + 32)),
                "a hash too many");
        assertNull(MerkleTree.rootFromPath(5, 8, leaves.get(5), Arrays.copyOf(path, 64)), "a hash too few");
    }

    private static void assertNotRoot(final byte[] root, final byte[] got) {
        if (got != null && Arrays.equals(root, got)) {
            throw new AssertionError("led to the root");
        }
    }
}
