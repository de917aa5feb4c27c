package org.cpnskeys.protocol;

import java.util.Optional;

/**
 * A W3C trace-context {@code traceparent} (version {@code 00}): {@code 00-<trace-id>-<parent-id>-<flags>}, 55
 * characters of lower-case hex and dashes. The optional field {@code traceparent} of every message carries it so
 * that one assignment is one trace across PNE, PN GW and CPNS Server (PROTOCOL.md section 5). Parsing is strict:
 * only version {@code 00}, exactly this length, lower-case hex, a trace ID and parent ID not all zero.
 */
public record TraceParent(String traceId, String parentId, int flags) {
    /** The length of a version-00 traceparent. */
    public static final int LENGTH = 55;
    private static final int TRACE_ID = 32;
    private static final int PARENT_ID = 16;

    public TraceParent {
        if (!hex(traceId, TRACE_ID) || !hex(parentId, PARENT_ID) || flags < 0 || flags > 0xff) {
            throw new IllegalArgumentException("traceparent: trace ID, parent ID or flags malformed");
        }
    }

    /** The traceparent in {@code text}; an {@code IllegalArgumentException} naming the field when malformed. */
    public static TraceParent parse(final String text) {
        if (text.length() != LENGTH || text.charAt(2) != '-' || text.charAt(35) != '-' || text.charAt(52) != '-') {
            throw new IllegalArgumentException("field traceparent must be 00-<32 hex>-<16 hex>-<2 hex> (W3C"
                    + " trace-context version 00, " + LENGTH + " characters)");
        }
        if (!text.startsWith("00")) {
            throw new IllegalArgumentException("field traceparent: only version 00 is accepted");
        }
        final String flags = text.substring(53);
        if (!hex(flags, 2)) {
            throw new IllegalArgumentException("field traceparent: flags must be 2 lower-case hex digits");
        }
        try {
            return new TraceParent(text.substring(3, 35), text.substring(36, 52), Integer.parseInt(flags, 16));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("field traceparent: trace ID and parent ID must be lower-case hex,"
                    + " not all zero");
        }
    }

    /** The traceparent in {@code text}, or empty when it is not one (for callers that must not fail). */
    public static Optional<TraceParent> tryParse(final String text) {
        try {
            return Optional.of(parse(text));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Whether the sender sampled this trace (flag bit 0). */
    public boolean sampled() {
        return (flags & 1) != 0;
    }

    /** The wire form. */
    public String text() {
        return "00-" + traceId + "-" + parentId + "-" + Character.forDigit(flags >> 4, 16)
                + Character.forDigit(flags & 0xf, 16);
    }

    @Override
    public String toString() {
        return text();
    }

    /** {@code n} lower-case hex digits, not all zero when longer than 2. */
    private static boolean hex(final String s, final int n) {
        if (s == null || s.length() != n) {
            return false;
        }
        boolean nonZero = n <= 2;
        for (int i = 0; i < n; i++) {
            final char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
            nonZero |= c != '0';
        }
        return nonZero;
    }
}
