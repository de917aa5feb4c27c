package org.cpnskeys.protocol.crypto;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import org.cpnskeys.protocol.EntityId;

/**
 * The client side of HTTP Digest (RFC 2617 section 3.2.2, algorithm MD5, qop "auth"): what a gateway acting
 * as proxy or a PNE with UI computes. MD5 is imposed by the htdigest file format, which stores MD5 HA1.
 */
public final class DigestClient {
    /** The digest "method" of a Key Request. */
    public static final String METHOD = "KEY-REQUEST";
    public static final String QOP = "auth";
    public static final String ALGORITHM = "MD5";
    private static final HexFormat HEX = HexFormat.of();

    private DigestClient() {
    }

    /** The digest-uri of a Key Request for the given entity. */
    public static String uri(final EntityId entityId) {
        return "cpns:key-request:" + entityId.value();
    }

    /** HA1 = MD5(username ":" realm ":" password). The password array is not modified. */
    public static Ha1 ha1(final String username, final String realm, final char[] password) {
        final MessageDigest md5 = md5();
        md5.update((username + ":" + realm + ":").getBytes(StandardCharsets.UTF_8));
        final byte[] pw = Utf8.encode(password);
        try {
            md5.update(pw);
        } finally {
            java.util.Arrays.fill(pw, (byte) 0);
        }
        return Ha1.adopt(md5.digest());
    }

    /** HA2 = MD5(method ":" digest-uri), lower-case hex. */
    public static String ha2(final String method, final String uri) {
        return hex(md5().digest((method + ":" + uri).getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * response = MD5(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2), lower-case hex. With a null qop the
     * RFC 2069 form MD5(HA1 ":" nonce ":" HA2) is used (only for the RFC's own test vector).
     */
    public static String response(final Ha1 ha1, final String nonce, final String nc, final String cnonce,
            final String qop, final String ha2) {
        final String ha1Hex = ha1.hex();
        final String input = qop == null
                ? ha1Hex + ":" + nonce + ":" + ha2
                : ha1Hex + ":" + nonce + ":" + nc + ":" + cnonce + ":" + qop + ":" + ha2;
        return hex(md5().digest(input.getBytes(StandardCharsets.UTF_8)));
    }

    /** The response of a Key Request for the given entity (method KEY-REQUEST, qop auth). */
    public static String keyRequestResponse(final Ha1 ha1, final EntityId entityId, final String nonce,
            final String nc, final String cnonce) {
        return response(ha1, nonce, nc, cnonce, QOP, ha2(METHOD, uri(entityId)));
    }

    /** Formats a nonce count as the 8 lower-case hex digits the RFC asks for. */
    public static String nc(final long count) {
        if (count < 1 || count > 0xffffffffL) {
            throw new IllegalArgumentException("nonce count out of range");
        }
        return String.format("%08x", count);
    }

    static String hex(final byte[] b) {
        return HEX.formatHex(b);
    }

    static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 unavailable", e);
        }
    }
}
