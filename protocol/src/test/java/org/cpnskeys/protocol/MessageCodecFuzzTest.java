package org.cpnskeys.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Random mutations of valid payloads (seeded, so a failure reproduces): {@code decode} either succeeds or throws
 * a {@link ProtocolException} with status 400, never anything else.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MessageCodecFuzzTest {
    private static final long SEED = 0x5eed_c0de_cafeL;
    private static final int ROUNDS = 5000;
    private static final byte[] INTERESTING = "{}[]\":,\\0123456789.-+eEtrufalsn \u0000\u00ff\u0080\u00c3"
            .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);

    @Test
    void decode_randomMutationsOfValidPayloads_onlySucceedsOrThrows400() {
        final MessageCodec codec = new MessageCodec(512);
        final List<byte[]> seeds = Samples.all().stream().map(m -> codec.encode(m).getBytes()).toList();
        final Random random = new Random(SEED);
        int rejected = 0;
        for (int round = 0; round < ROUNDS; round++) {
            byte[] p = seeds.get(random.nextInt(seeds.size())).clone();
            final int mutations = 1 + random.nextInt(4);
            for (int i = 0; i < mutations; i++) {
                p = mutate(p, random);
            }
            try {
                codec.decode(p);
            } catch (ProtocolException e) {
                assertEquals(400, e.status(), e.reason());
                assertTrue(e.reason() != null && !e.reason().isEmpty());
                rejected++;
            } catch (RuntimeException | Error e) {
                fail("round " + round + ": " + e + " for payload " + HexFormat.of().formatHex(p), e);
            }
            codec.peekRequestId(p);
        }
        assertTrue(rejected > ROUNDS / 2, "most mutations should be rejected, got " + rejected);
    }

    private static byte[] mutate(final byte[] p, final Random r) {
        if (p.length == 0) {
            return new byte[] {INTERESTING[r.nextInt(INTERESTING.length)]};
        }
        final int at = r.nextInt(p.length);
        switch (r.nextInt(6)) {
            case 0: { // flip one bit
                p[at] ^= (byte) (1 << r.nextInt(8));
                return p;
            }
            case 1: // truncate
                return Arrays.copyOf(p, at);
            case 2: { // insert an interesting byte
                final byte[] out = new byte[p.length + 1];
                System.arraycopy(p, 0, out, 0, at);
                out[at] = INTERESTING[r.nextInt(INTERESTING.length)];
                System.arraycopy(p, at, out, at + 1, p.length - at);
                return out;
            }
            case 3: { // delete a run
                final int len = Math.min(p.length - at, 1 + r.nextInt(8));
                final byte[] out = new byte[p.length - len];
                System.arraycopy(p, 0, out, 0, at);
                System.arraycopy(p, at + len, out, at, p.length - at - len);
                return out;
            }
            case 4: { // duplicate a run (repeats fields, nests objects)
                final int len = Math.min(p.length - at, 1 + r.nextInt(24));
                final byte[] out = new byte[p.length + len];
                System.arraycopy(p, 0, out, 0, at + len);
                System.arraycopy(p, at, out, at + len, p.length - at);
                return out;
            }
            default: { // replace with a random byte
                p[at] = (byte) r.nextInt(256);
                return p;
            }
        }
    }
}
