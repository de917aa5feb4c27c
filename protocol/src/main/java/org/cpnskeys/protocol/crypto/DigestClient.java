package org.cpnskeys.protocol.crypto;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

import org.cpnskeys.protocol.DigestAuthorization;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyRelease;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.RequestId;

/**
 * The client side of HTTP Digest (RFC 2617 section 3.2.2, algorithm MD5, qop "auth"): what a gateway acting
 * as proxy or a PNE with UI computes. MD5 is imposed by the htdigest file format, which stores MD5 HA1.
 */
public final class DigestClient {
    /** The digest "method" of a Key Request. */
    public static final String METHOD = "KEY-REQUEST";
    /** The digest "method" of a Key Release: another method, so no answer to one authorises the other. */
    public static final String RELEASE_METHOD = "KEY-RELEASE";
    public static final String QOP = "auth";
    public static final String ALGORITHM = "MD5";
    private static final HexFormat HEX = HexFormat.of();
    private static final SecureRandom RANDOM = new SecureRandom();

    private DigestClient() {
    }

    /**
     * The digest-uri of a Key Request (protocol v2): {@code cpns:key-request:{entityId}:{requestId}:{epk}}, so
     * that a digest answer authorises this one request and this one ephemeral key, and cannot be re-attached
     * to another request ID or another key.
     */
    public static String uri(final EntityId entityId, final RequestId requestId, final X25519PublicKey epk) {
        return "cpns:key-request:" + entityId.value() + ":" + requestId.value() + ":" + epk.text();
    }

    /**
     * The digest-uri of a Key Release: {@code cpns:key-release:{entityId}:{requestId}} (no ephemeral key: a
     * release delivers nothing).
     */
    public static String uri(final KeyRelease release) {
        return "cpns:key-release:" + release.entityId().value() + ":" + release.requestId().value();
    }

    /** The digest-uri the given request must carry (it must have its {@code epk}). */
    public static String uri(final KeyRequest request) {
        return uri(request.entityId(), request.requestId(), request.epk()
                .orElseThrow(() -> new IllegalArgumentException("a Key Request with a digest answer carries epk")));
    }

    /**
     * HA1 = MD5(username ":" realm ":" password), over the UTF-8 bytes of the password exactly as given: no
     * Unicode normalisation (as Apache's htdigest; every client of this project computes HA1 here). The
     * password array is not modified.
     */
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

    /** The response of a Key Request (method KEY-REQUEST, qop auth, the v2 digest-uri). */
    public static String keyRequestResponse(final Ha1 ha1, final EntityId entityId, final RequestId requestId,
            final X25519PublicKey epk, final String nonce, final String nc, final String cnonce) {
        return response(ha1, nonce, nc, cnonce, QOP, ha2(METHOD, uri(entityId, requestId, epk)));
    }

    /**
     * The given Key Request answered: with the requester's ephemeral public key {@code epk} and the digest
     * answer for the challenge's {@code realm} and {@code nonce}, nonce count {@code nc} and {@code cnonce}.
     * What every client (gateway as proxy, PNE with UI, load generator) sends.
     */
    public static KeyRequest answer(final KeyRequest request, final String username, final Ha1 ha1,
            final String realm, final X25519PublicKey epk, final String nonce, final String nc, final String cnonce) {
        final String uri = uri(request.entityId(), request.requestId(), epk);
        final DigestAuthorization auth = new DigestAuthorization(username, realm, nonce, uri, QOP, nc, cnonce,
                response(ha1, nonce, nc, cnonce, QOP, ha2(METHOD, uri)));
        return request.withAuthorization(auth, epk);
    }

    /**
     * The given Key Release answered for the challenge's {@code realm} and {@code nonce} with nonce count
     * {@code nc} and {@code cnonce} (method KEY-RELEASE). What the gateway and a PNE with UI send.
     */
    public static KeyRelease answer(final KeyRelease release, final String username, final Ha1 ha1,
            final String realm, final String nonce, final String nc, final String cnonce) {
        final String uri = uri(release);
        return release.withAuthorization(new DigestAuthorization(username, realm, nonce, uri, QOP, nc, cnonce,
                response(ha1, nonce, nc, cnonce, QOP, ha2(RELEASE_METHOD, uri))));
    }

    /**
     * A fresh client nonce: 96 random bits, base64url without padding (16 characters). Every client makes a new
     * one for each digest answer it sends; the KEK derivation takes it as input, so no two answers share a KEK.
     */
    public static String cnonce() {
        final byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
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
