package org.cpnskeys.deploy.e2e;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Hostile inputs for every topic a client can reach: hand-written cases for each kind of malformation the
 * issue names, and seeded byte-level mutations of a valid message. Deterministic (fixed seed).
 */
final class HostileCorpus {
    /** One input and what it is meant to exercise. */
    record Input(String name, byte[] payload) {
    }

    private HostileCorpus() {
    }

    static List<Input> handWritten(final String entity, final String validRequest) {
        final List<Input> in = new ArrayList<>();
        final String big = "x".repeat(60 * 1024);
        final String deep = "{\"a\":".repeat(60) + "1" + "}".repeat(60);
        add(in, "empty", "");
        add(in, "open brace", "{");
        add(in, "truncated", validRequest.substring(0, validRequest.length() / 2));
        add(in, "array root", "[" + validRequest + "]");
        add(in, "null", "null");
        add(in, "number", "42");
        add(in, "string", "\"key-request\"");
        add(in, "empty object", "{}");
        add(in, "trailing garbage", validRequest + "}}");
        add(in, "two objects", validRequest + validRequest);
        add(in, "version 1 (downgrade)", validRequest.replace("\"v\":2", "\"v\":1"));
        add(in, "version 3", validRequest.replace("\"v\":2", "\"v\":3"));
        add(in, "version as string", validRequest.replace("\"v\":2", "\"v\":\"2\""));
        add(in, "version missing", validRequest.replace("\"v\":2,", ""));
        add(in, "unknown type", validRequest.replace("key-request", "key-steal"));
        add(in, "type as number", validRequest.replace("\"key-request\"", "7"));
        add(in, "wrong direction: delivery", "{\"v\":2,\"type\":\"key-delivery\",\"requestId\":\"h1\",\"entityId\":\""
                + entity + "\",\"status\":200,\"userId\":\"alice\",\"keyId\":\"k1\",\"euKey\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}");
        add(in, "wrong direction: challenge", "{\"v\":2,\"type\":\"challenge\",\"requestId\":\"h2\",\"entityId\":\"" + entity
                + "\",\"status\":401,\"realm\":\"cpns\",\"nonce\":\"n\",\"qop\":\"auth\",\"algorithm\":\"MD5\"}");
        add(in, "status message", "{\"v\":2,\"type\":\"status\",\"status\":202,\"reason\":\"x\"}");
        add(in, "requestId missing", validRequest.replaceFirst("\"requestId\":\"[^\"]*\",", ""));
        add(in, "requestId 65 chars", validRequest.replaceFirst("\"requestId\":\"[^\"]*\"", "\"requestId\":\"" + "r".repeat(65) + "\""));
        add(in, "requestId with slash", validRequest.replaceFirst("\"requestId\":\"[^\"]*\"", "\"requestId\":\"a/b\""));
        for (final String bad : List.of("+", "#", "a/b", "..", "", "e".repeat(65), "../etc/passwd", "$SYS", "a b", "é")) {
            add(in, "entity " + bad, validRequest.replace("\"entityId\":\"" + entity + "\"", "\"entityId\":\"" + bad + "\""));
        }
        add(in, "other entity", validRequest.replace("\"entityId\":\"" + entity + "\"", "\"entityId\":\"someone-else\""));
        add(in, "proxy as string", validRequest.replace("\"proxy\":true", "\"proxy\":\"yes\""));
        add(in, "proxy missing", validRequest.replace(",\"proxy\":true", ""));
        add(in, "unknown field", validRequest.replace("{", "{\"admin\":true,"));
        add(in, "duplicate field", validRequest.replace("{", "{\"v\":2,"));
        add(in, "deep nesting", validRequest.replace("{", "{\"x\":" + deep + ","));
        add(in, "string over the size limit", validRequest.replace("{", "{\"description\":\"" + big + "\","));
        add(in, "huge number", validRequest.replace("\"v\":2", "\"v\":2" + "0".repeat(400)));
        add(in, "float version", validRequest.replace("\"v\":2", "\"v\":2.0"));
        add(in, "null field", validRequest.replace("\"proxy\":true", "\"proxy\":null"));
        add(in, "description as object", validRequest.replace("{", "{\"description\":{\"a\":1},"));
        add(in, "authorization wrong type", validRequest.replace("{", "{\"authorization\":\"Digest x\","));
        add(in, "authorization incomplete", validRequest.replace("{", "{\"authorization\":{\"username\":\"alice\"},"));
        add(in, "authorization bad nc", validRequest.replace("{", "{\"authorization\":{\"username\":\"alice\",\"realm\":\"cpns\","
                + "\"nonce\":\"abc\",\"uri\":\"cpns:key-request:" + entity + "\",\"qop\":\"auth\",\"nc\":\"zz\","
                + "\"cnonce\":\"abcdefgh\",\"response\":\"" + "0".repeat(32) + "\"},"));
        add(in, "authorization qop auth-int", validRequest.replace("{", "{\"authorization\":{\"username\":\"alice\",\"realm\":\"cpns\","
                + "\"nonce\":\"abc\",\"uri\":\"cpns:key-request:" + entity + "\",\"qop\":\"auth-int\",\"nc\":\"00000001\","
                + "\"cnonce\":\"abcdefgh\",\"response\":\"" + "0".repeat(32) + "\"},"));
        add(in, "upper-case response", validRequest.replace("{", "{\"authorization\":{\"username\":\"alice\",\"realm\":\"cpns\","
                + "\"nonce\":\"abc\",\"uri\":\"cpns:key-request:" + entity + "\",\"qop\":\"auth\",\"nc\":\"00000001\","
                + "\"cnonce\":\"abcdefgh\",\"response\":\"" + "A".repeat(32) + "\"},"));
        in.add(new Input("invalid UTF-8", concat(validRequest.substring(0, 10).getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) 0xC3, (byte) 0x28}, validRequest.substring(10).getBytes(StandardCharsets.UTF_8))));
        in.add(new Input("overlong UTF-8 slash", validRequest.replace("\"entityId\":\"" + entity, "\"entityId\":\"a\u0000b")
                .getBytes(StandardCharsets.UTF_8)));
        in.add(new Input("UTF-16", validRequest.getBytes(StandardCharsets.UTF_16LE)));
        in.add(new Input("BOM", concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF},
                validRequest.getBytes(StandardCharsets.UTF_8))));
        in.add(new Input("NUL bytes", new byte[64]));
        in.add(new Input("random binary", randomBytes(new Random(7), 512)));
        return in;
    }

    /** {@code n} seeded mutations of a valid payload: flips, truncations, insertions, deletions, splices. */
    static List<Input> mutations(final String validRequest, final int n, final long seed) {
        final Random r = new Random(seed);
        final byte[] base = validRequest.getBytes(StandardCharsets.UTF_8);
        final byte[] alphabet = "{}[]\":,\\ 0123456789.-+eEtrufalsn\u0000".getBytes(StandardCharsets.ISO_8859_1);
        final List<Input> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            final byte[] m;
            switch (i % 5) {
                case 0: {
                    m = base.clone();
                    for (int k = 0; k <= r.nextInt(3); k++) {
                        m[r.nextInt(m.length)] ^= (byte) (1 << r.nextInt(8));
                    }
                    break;
                }
                case 1:
                    m = java.util.Arrays.copyOf(base, r.nextInt(base.length));
                    break;
                case 2: {
                    final int at = r.nextInt(base.length);
                    m = concat(java.util.Arrays.copyOf(base, at), new byte[] {alphabet[r.nextInt(alphabet.length)]},
                            java.util.Arrays.copyOfRange(base, at, base.length));
                    break;
                }
                case 3: {
                    final int from = r.nextInt(base.length);
                    final int to = Math.min(base.length, from + 1 + r.nextInt(8));
                    m = concat(java.util.Arrays.copyOf(base, from), java.util.Arrays.copyOfRange(base, to, base.length));
                    break;
                }
                default: {
                    final int from = r.nextInt(base.length);
                    final int len = 1 + r.nextInt(Math.min(16, base.length - from));
                    final int at = r.nextInt(base.length);
                    m = concat(java.util.Arrays.copyOf(base, at), java.util.Arrays.copyOfRange(base, from, from + len),
                            java.util.Arrays.copyOfRange(base, at, base.length));
                    break;
                }
            }
            out.add(new Input("mutation " + i, m));
        }
        return out;
    }

    private static void add(final List<Input> in, final String name, final String payload) {
        in.add(new Input(name, payload.getBytes(StandardCharsets.UTF_8)));
    }

    static byte[] concat(final byte[]... parts) {
        int len = 0;
        for (final byte[] p : parts) {
            len += p.length;
        }
        final byte[] out = new byte[len];
        int at = 0;
        for (final byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static byte[] randomBytes(final Random r, final int n) {
        final byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }
}
