package org.cpnskeys.protocol.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.cpnskeys.protocol.EntityId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Known answers for the client side of HTTP Digest. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class DigestClientTest {
    // RFC 2617 section 3.5, "Example": user Mufasa, realm testrealm@host.com, password "Circle Of Life",
    // GET /dir/index.html, qop=auth, nc=00000001, cnonce="0a4f113b".
    private static final String USER = "Mufasa";
    private static final String REALM = "testrealm@host.com";
    private static final char[] PASSWORD = "Circle Of Life".toCharArray();
    private static final String NONCE = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
    private static final String CNONCE = "0a4f113b";
    private static final String NC = "00000001";

    @Test
    void ha1_rfc2617Example_matchesPublishedIntermediate() {
        // MD5("Mufasa:testrealm@host.com:Circle Of Life"); the value every RFC 2617 walk-through shows.
        try (Ha1 ha1 = DigestClient.ha1(USER, REALM, PASSWORD)) {
            assertEquals("939e7578ed9e3c518a452acee763bce9", ha1.hex());
        }
    }

    @Test
    void response_rfc2617Section35Example_matchesPublishedResponse() {
        try (Ha1 ha1 = DigestClient.ha1(USER, REALM, PASSWORD)) {
            final String ha2 = DigestClient.ha2("GET", "/dir/index.html");
            assertEquals("39aff3a2bab6126f332b942af96d3366", ha2);
            assertEquals("6629fae49393a05397450978507c4ef1",
                    DigestClient.response(ha1, NONCE, NC, CNONCE, "auth", ha2));
        }
    }

    @Test
    void ha1_passwordArray_isNotModified() {
        final char[] pw = "Circle Of Life".toCharArray();
        DigestClient.ha1(USER, REALM, pw).destroy();
        assertEquals("Circle Of Life", new String(pw));
    }

    @Test
    void ha1_fromHexOfComputedValue_equalsComputedHa1() {
        try (Ha1 computed = DigestClient.ha1(USER, REALM, PASSWORD);
                Ha1 parsed = Ha1.fromHex("939E7578ED9E3C518A452ACEE763BCE9")) {
            assertTrue(computed.equalsHa1(parsed));
            assertFalse(computed.toString().contains("939e"));
        }
    }

    @Test
    void fromHex_wrongLengthOrNonHex_throws() {
        assertThrows(IllegalArgumentException.class, () -> Ha1.fromHex("939e"));
        assertThrows(IllegalArgumentException.class, () -> Ha1.fromHex(null));
        assertThrows(IllegalArgumentException.class, () -> Ha1.fromHex("zz9e7578ed9e3c518a452acee763bce9"));
    }

    @Test
    void keyRequestResponse_v2_usesKeyRequestMethodAndUriWithRequestIdAndEpk() {
        final EntityId entity = EntityId.of("pne-1");
        final org.cpnskeys.protocol.RequestId request = org.cpnskeys.protocol.RequestId.of("req-7");
        final X25519PublicKey epk = X25519PublicKey.parse("hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo", "epk");
        final String uri = "cpns:key-request:pne-1:req-7:hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo";
        assertEquals(uri, DigestClient.uri(entity, request, epk));
        try (Ha1 ha1 = DigestClient.ha1(USER, REALM, PASSWORD)) {
            assertEquals(DigestClient.response(ha1, NONCE, NC, CNONCE, "auth", DigestClient.ha2("KEY-REQUEST", uri)),
                    DigestClient.keyRequestResponse(ha1, entity, request, epk, NONCE, NC, CNONCE));
            final org.cpnskeys.protocol.KeyRequest answered = DigestClient.answer(
                    org.cpnskeys.protocol.KeyRequest.proxy(request, entity, java.util.Optional.empty()), USER, ha1,
                    REALM, epk, NONCE, NC, CNONCE);
            assertEquals(uri, answered.authorization().orElseThrow().uri());
            assertEquals(epk, answered.epk().orElseThrow());
            assertEquals(DigestClient.keyRequestResponse(ha1, entity, request, epk, NONCE, NC, CNONCE),
                    answered.authorization().orElseThrow().response());
        }
    }

    @Test
    void nc_inRange_isEightLowerCaseHexDigits() {
        assertEquals("00000001", DigestClient.nc(1));
        assertEquals("0000002a", DigestClient.nc(42));
        assertEquals("ffffffff", DigestClient.nc(0xffffffffL));
    }

    @Test
    void nc_outOfRange_throws() {
        assertThrows(IllegalArgumentException.class, () -> DigestClient.nc(0));
        assertThrows(IllegalArgumentException.class, () -> DigestClient.nc(0x100000000L));
    }
}
