package org.cpnskeys.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.buffer.Buffer;

import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.protocol.crypto.X25519PublicKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@code key-release} message (PROTOCOL.md 5.7, 8.2): strict decoding like a Key Request, and a digest of its
 * own (method KEY-RELEASE, digest-uri {@code cpns:key-release:{entityId}:{requestId}}), with the worked example of
 * section 13.6.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class KeyReleaseCodecTest {
    private static final MessageCodec CODEC = new MessageCodec();
    private static final String NONCE = "MTcwMDAwMzYwMC4xMjM0NTY3ODkwYWJjZGVm";
    private static final String CNONCE = "q0RwUmLm8y3aV7bc";
    private static final EntityId ENTITY = EntityId.of("pne-bulb-01");
    private static final RequestId RELEASE_ID = RequestId.of("c1a4e2b0-6d3f-4a5e-8b7c-2f1e0d9c8b7a");
    /** PROTOCOL.md 13.6, message 3: the gateway's answered release. */
    static final String M3_CLOUD_RELEASE_AUTH = "{\"v\":2,\"type\":\"key-release\",\"requestId\":"
            + "\"c1a4e2b0-6d3f-4a5e-8b7c-2f1e0d9c8b7a\",\"entityId\":\"pne-bulb-01\",\"proxy\":true,"
            + "\"userId\":\"alice@example.com\",\"authorization\":{\"username\":\"alice@example.com\","
            + "\"realm\":\"cpns.example.com\",\"nonce\":\"MTcwMDAwMzYwMC4xMjM0NTY3ODkwYWJjZGVm\","
            + "\"uri\":\"cpns:key-release:pne-bulb-01:c1a4e2b0-6d3f-4a5e-8b7c-2f1e0d9c8b7a\",\"qop\":\"auth\","
            + "\"nc\":\"00000001\",\"cnonce\":\"q0RwUmLm8y3aV7bc\",\"response\":\"21ea50147a0c1bc908bb596b08666dc7\"}}";
    static final String M4_RELEASED = "{\"v\":2,\"type\":\"status\",\"requestId\":"
            + "\"c1a4e2b0-6d3f-4a5e-8b7c-2f1e0d9c8b7a\",\"entityId\":\"pne-bulb-01\",\"status\":200,"
            + "\"reason\":\"released\"}";

    private static Ha1 aliceHa1() {
        return DigestClient.ha1("alice@example.com", "cpns.example.com",
                "correct horse battery staple".toCharArray());
    }

    private static CpnsMessage decode(final String json) {
        return CODEC.decode(Buffer.buffer(json.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aKeyRelease_roundTripsThroughTheCodec_withAndWithoutItsDigestAnswer() {
        final KeyRelease first = KeyRelease.of(RELEASE_ID, ENTITY, false, UserId.of("alice@example.com"));
        assertEquals(first, decode(CODEC.encode(first).toString()));
        final KeyRelease answered = DigestClient.answer(first, "alice@example.com", aliceHa1(), "cpns.example.com",
                NONCE, "00000001", CNONCE);
        assertEquals(answered, decode(CODEC.encode(answered).toString()));
    }

    @Test
    void theWorkedExample_ofSection13_6_isWhatTheCodeComputes() {
        final KeyRelease answered = DigestClient.answer(
                KeyRelease.of(RELEASE_ID, ENTITY, true, UserId.of("alice@example.com")), "alice@example.com",
                aliceHa1(), "cpns.example.com", NONCE, "00000001", CNONCE);
        assertEquals("cpns:key-release:pne-bulb-01:c1a4e2b0-6d3f-4a5e-8b7c-2f1e0d9c8b7a", DigestClient.uri(answered));
        assertEquals("d91539e89fec373094912f785999f23d", DigestClient.ha2(DigestClient.RELEASE_METHOD,
                DigestClient.uri(answered)));
        assertEquals(M3_CLOUD_RELEASE_AUTH, CODEC.encode(answered).toString());
        assertEquals(answered, decode(M3_CLOUD_RELEASE_AUTH));
        final StatusReport released = StatusReport.of(Optional.of(RELEASE_ID), Optional.of(ENTITY), Status.OK,
                "released");
        assertEquals(M4_RELEASED, CODEC.encode(released).toString());
    }

    @Test
    void aKeyRelease_withAFieldOnlyAKeyRequestHas_isRefusedAsUnknown() {
        final String withEpk = M3_CLOUD_RELEASE_AUTH.replace("\"proxy\":true,",
                "\"proxy\":true,\"epk\":\"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo\",");
        final ProtocolException e = assertThrows(ProtocolException.class, () -> decode(withEpk));
        assertEquals("unknown field epk", e.reason());
        final String withDescription = M3_CLOUD_RELEASE_AUTH.replace("\"proxy\":true,",
                "\"proxy\":true,\"description\":\"x\",");
        assertEquals("unknown field description",
                assertThrows(ProtocolException.class, () -> decode(withDescription)).reason());
        assertEquals("field proxy is missing", assertThrows(ProtocolException.class,
                () -> decode(M3_CLOUD_RELEASE_AUTH.replace("\"proxy\":true,", ""))).reason());
    }

    @Test
    void aKeyRelease_whoseUserDiffersFromItsAnswer_isRefused() {
        final ProtocolException e = assertThrows(ProtocolException.class, () -> decode(
                M3_CLOUD_RELEASE_AUTH.replace("\"userId\":\"alice@example.com\"", "\"userId\":\"bob\"")));
        assertEquals(400, e.status());
    }

    @Test
    void theAnswersForAKeyRequestAndAKeyReleaseOfTheSameRequest_differInUriAndResponse() {
        final X25519PublicKey epk = X25519PublicKey.parse("hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo", "epk");
        final KeyRequest request = DigestClient.answer(KeyRequest.withUi(RELEASE_ID, ENTITY,
                UserId.of("alice@example.com"), Optional.empty()), "alice@example.com", aliceHa1(),
                "cpns.example.com", epk, NONCE, "00000001", CNONCE);
        final KeyRelease release = DigestClient.answer(KeyRelease.of(RELEASE_ID, ENTITY, false,
                UserId.of("alice@example.com")), "alice@example.com", aliceHa1(), "cpns.example.com", NONCE,
                "00000001", CNONCE);
        final DigestAuthorization asked = request.authorization().orElseThrow();
        final DigestAuthorization released = release.authorization().orElseThrow();
        assertNotEquals(asked.uri(), released.uri());
        assertNotEquals(asked.response(), released.response());
        // even with the release's uri, the KEY-REQUEST method gives another response
        assertNotEquals(released.response(), DigestClient.response(aliceHa1(), NONCE, "00000001", CNONCE, "auth",
                DigestClient.ha2(DigestClient.METHOD, released.uri())));
        assertTrue(released.uri().startsWith("cpns:key-release:"));
    }
}
