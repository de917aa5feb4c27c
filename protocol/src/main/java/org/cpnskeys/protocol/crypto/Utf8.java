package org.cpnskeys.protocol.crypto;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** UTF-8 encoding of a char[] without going through a String (so the result can be zeroed). */
final class Utf8 {
    private Utf8() {
    }

    static byte[] encode(final char[] chars) {
        final ByteBuffer buf = StandardCharsets.UTF_8.encode(CharBuffer.wrap(chars));
        final byte[] out = Arrays.copyOfRange(buf.array(), buf.position(), buf.limit());
        Arrays.fill(buf.array(), (byte) 0);
        return out;
    }
}
