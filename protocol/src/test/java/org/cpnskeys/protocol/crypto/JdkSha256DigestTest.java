package org.cpnskeys.protocol.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.junit.jupiter.api.Test;

/** The JDK-backed digest under BouncyCastle's HKDF behaves as BouncyCastle's own SHA-256 does. */
class JdkSha256DigestTest {

    @Test
    void fips180Vector_abc() {
        // FIPS 180-2, Appendix B.1: SHA-256("abc")
        final JdkSha256Digest d = new JdkSha256Digest();
        final byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);
        d.update(abc, 0, abc.length);
        final byte[] out = new byte[d.getDigestSize()];
        assertEquals(32, d.doFinal(out, 0));
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", HexFormat.of().formatHex(out));
    }

    @Test
    void sameAsBouncyCastle_forSplitAndBytewiseUpdates_andResetsAfterDoFinal() {
        final Random random = new Random(5869);
        final JdkSha256Digest jdk = new JdkSha256Digest();
        final SHA256Digest bc = new SHA256Digest();
        assertEquals(bc.getByteLength(), jdk.getByteLength());
        assertEquals(bc.getDigestSize(), jdk.getDigestSize());
        for (int round = 0; round < 200; round++) {
            final byte[] data = new byte[random.nextInt(300)];
            random.nextBytes(data);
            final int split = data.length == 0 ? 0 : random.nextInt(data.length);
            jdk.update(data, 0, split);
            bc.update(data, 0, split);
            for (int i = split; i < data.length; i++) {
                jdk.update(data[i]);
                bc.update(data[i]);
            }
            final byte[] a = new byte[40];
            final byte[] b = new byte[40];
            jdk.doFinal(a, 8);
            bc.doFinal(b, 8);
            assertArrayEquals(b, a, "round " + round); // doFinal resets both: the next round starts clean
        }
        jdk.update(new byte[] {1, 2, 3}, 0, 3);
        jdk.reset();
        final byte[] empty = new byte[32];
        jdk.doFinal(empty, 0);
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", HexFormat.of().formatHex(empty));
    }
}
