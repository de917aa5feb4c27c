package org.cpnskeys.protocol.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.DigestAuthorization;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.StatusReport;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.WrappedKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The worked example of docs/PROTOCOL.md, section "Worked example": every value printed there is asserted here,
 * computed by the project's own code, so the document cannot drift from the implementation. If this test fails
 * after a deliberate protocol change, update the document and these constants together.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class WorkedExampleTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final Base64.Encoder B64 = Base64.getEncoder();
    private static final MessageCodec CODEC = new MessageCodec();

    // ---- inputs
    private static final String USER = "alice@example.com";
    private static final String REALM = "cpns.example.com";
    private static final String PASSWORD = "correct horse battery staple";
    private static final EntityId ENTITY = EntityId.of("pne-bulb-01");
    private static final RequestId REQUEST = RequestId.of("7f3c2a10-5b1e-4c8e-9d2a-0e6f1b2c3d4e");
    private static final KeyId KEY_ID = KeyId.of("018bcfe568004e3f8a6b1c0d2e4f6a8b");
    private static final String NONCE = "MTcwMDAwMzYwMC4xMjM0NTY3ODkwYWJjZGVm";
    private static final String CNONCE = "q0RwUmLm8y3aV7bc";
    private static final String NC = "00000001";
    private static final String EUKEY_HEX = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    private static final String IV_HEX = "cafebabefacedbaddecaf888";
    /** RFC 7748 section 6.1: Alice's private key is the requester's (the gateway's) ephemeral key, Bob's the server's. */
    private static final String REQUESTER_PRIVATE_HEX = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    private static final String SERVER_PRIVATE_HEX = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";

    // ---- intermediate values (as printed in the document)
    private static final String HA1 = "0fe12068b9992ca7d2f91be04584dd48";
    private static final String REQUESTER_PUBLIC_HEX = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    private static final String REQUESTER_EPK = "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo";
    private static final String SERVER_PUBLIC_HEX = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    private static final String SERVER_EPK = "3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08";
    private static final String SHARED = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
    private static final String URI = "cpns:key-request:pne-bulb-01:7f3c2a10-5b1e-4c8e-9d2a-0e6f1b2c3d4e:"
            + "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo";
    private static final String HA2 = "5e5644e25ffd326ff50a693c8687e2f8";
    private static final String RESPONSE = "6c12075ab77b97d79d523a5dc770ad6e";
    private static final String SALT = "MTcwMDAwMzYwMC4xMjM0NTY3ODkwYWJjZGVm:q0RwUmLm8y3aV7bc";
    private static final String SALT_HEX = "4d5463774d4441774d7a59774d4334784d6a4d304e5459334f446b7759574a6a5a47566d3a71305277"
            + "556d4c6d3879336156376263";
    private static final String IKM = "0fe12068b9992ca7d2f91be04584dd48"
            + "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
    private static final String INFO = "cpns-eukey-kek-v2:pne-bulb-01:7f3c2a10-5b1e-4c8e-9d2a-0e6f1b2c3d4e:"
            + "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo:3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08";
    private static final String KEK = "d2158eb79c61a616bccc85ffa9d398a0fdba775ab737f0e3f40bb7e035173cac";
    private static final String AAD = "cpns-eukey-v2:pne-bulb-01:alice@example.com:7f3c2a10-5b1e-4c8e-9d2a-0e6f1b2c3d4e:"
            + "018bcfe568004e3f8a6b1c0d2e4f6a8b";
    private static final String CT_TAG_HEX = "50680399639637143593226f547509426bccd19eb5fdbf56083f3388eb4a9e3f"
            + "214ab33b4d4f623bb56d4e6f113eeafc";
    private static final String IV_B64 = "yv66vvrO263eyviI";
    private static final String CT_B64 = "UGgDmWOWNxQ1kyJvVHUJQmvM0Z61/b9WCD8ziOtKnj8hSrM7TU9iO7VtTm8RPur8";
    private static final String EUKEY_B64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    private static final String KCV = "f29000";

    // ---- the messages (as printed in the document)
    private static final String Q = "\"requestId\":\"7f3c2a10-5b1e-4c8e-9d2a-0e6f1b2c3d4e\",\"entityId\":\"pne-bulb-01\"";
    static final String M1_PAN_REQUEST = "{\"v\":2,\"type\":\"key-request\"," + Q
            + ",\"proxy\":true,\"description\":\"Hallway bulb\"}";
    static final String M2_PAN_PENDING = "{\"v\":2,\"type\":\"status\"," + Q
            + ",\"status\":202,\"reason\":\"awaiting the user's approval\",\"retryAfter\":5}";
    static final String M3_CLOUD_REQUEST = "{\"v\":2,\"type\":\"key-request\"," + Q
            + ",\"proxy\":true,\"userId\":\"alice@example.com\",\"description\":\"Hallway bulb\"}";
    static final String M4_CHALLENGE = "{\"v\":2,\"type\":\"challenge\"," + Q
            + ",\"status\":401,\"realm\":\"cpns.example.com\",\"nonce\":\"MTcwMDAwMzYwMC4xMjM0NTY3ODkwYWJjZGVm\","
            + "\"qop\":\"auth\",\"algorithm\":\"MD5\",\"stale\":false}";
    static final String M5_CLOUD_REQUEST_AUTH = "{\"v\":2,\"type\":\"key-request\"," + Q
            + ",\"proxy\":true,\"userId\":\"alice@example.com\",\"description\":\"Hallway bulb\","
            + "\"epk\":\"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo\",\"authorization\":"
            + "{\"username\":\"alice@example.com\",\"realm\":\"cpns.example.com\","
            + "\"nonce\":\"MTcwMDAwMzYwMC4xMjM0NTY3ODkwYWJjZGVm\","
            + "\"uri\":\"cpns:key-request:pne-bulb-01:7f3c2a10-5b1e-4c8e-9d2a-0e6f1b2c3d4e:"
            + "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo\","
            + "\"qop\":\"auth\",\"nc\":\"00000001\",\"cnonce\":\"q0RwUmLm8y3aV7bc\","
            + "\"response\":\"6c12075ab77b97d79d523a5dc770ad6e\"}}";
    static final String M6_CLOUD_DELIVERY = "{\"v\":2,\"type\":\"key-delivery\"," + Q
            + ",\"status\":200,\"userId\":\"alice@example.com\",\"keyId\":\"018bcfe568004e3f8a6b1c0d2e4f6a8b\","
            + "\"wrappedKey\":{\"alg\":\"A256GCM-X25519-HKDF-SHA256\","
            + "\"nonce\":\"MTcwMDAwMzYwMC4xMjM0NTY3ODkwYWJjZGVm\",\"cnonce\":\"q0RwUmLm8y3aV7bc\","
            + "\"epk\":\"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08\",\"iv\":\"yv66vvrO263eyviI\","
            + "\"ct\":\"UGgDmWOWNxQ1kyJvVHUJQmvM0Z61/b9WCD8ziOtKnj8hSrM7TU9iO7VtTm8RPur8\"}}";
    static final String M7_PAN_DELIVERY = "{\"v\":2,\"type\":\"key-delivery\"," + Q
            + ",\"status\":200,\"userId\":\"alice@example.com\",\"keyId\":\"018bcfe568004e3f8a6b1c0d2e4f6a8b\","
            + "\"euKey\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"}";
    static final String R401 = "{\"v\":2,\"type\":\"key-delivery\"," + Q
            + ",\"status\":401,\"reason\":\"authentication failed\"}";
    static final String R403 = "{\"v\":2,\"type\":\"key-delivery\"," + Q
            + ",\"status\":403,\"reason\":\"denied by the user\"}";
    static final String R409 = "{\"v\":2,\"type\":\"key-delivery\"," + Q
            + ",\"status\":409,\"reason\":\"entity is assigned to another user\"}";
    static final String R429 = "{\"v\":2,\"type\":\"key-delivery\"," + Q
            + ",\"status\":429,\"reason\":\"too many attempts\",\"retryAfter\":60}";
    static final String R400 = "{\"v\":2,\"type\":\"status\",\"status\":400,\"reason\":\"unknown field extra\"}";

    private static Ha1 ha1() {
        return DigestClient.ha1(USER, REALM, PASSWORD.toCharArray());
    }

    private static X25519.EphemeralKeyPair requester() {
        return X25519.fromPrivate(HEX.parseHex(REQUESTER_PRIVATE_HEX));
    }

    private static X25519.EphemeralKeyPair server() {
        return X25519.fromPrivate(HEX.parseHex(SERVER_PRIVATE_HEX));
    }

    private static EuKeyWrap.Context context() {
        return new EuKeyWrap.Context(NONCE, CNONCE, ENTITY, UserId.of(USER), REQUEST, KEY_ID,
                X25519PublicKey.parse(REQUESTER_EPK, "epk"), X25519PublicKey.parse(SERVER_EPK, "epk"));
    }

    private static String utf8(final byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void digest_workedExample_matchesDocumentedValues() {
        try (Ha1 ha1 = ha1()) {
            assertEquals(HA1, ha1.hex());
            final X25519PublicKey epk = X25519PublicKey.parse(REQUESTER_EPK, "epk");
            assertEquals(URI, DigestClient.uri(ENTITY, REQUEST, epk));
            assertEquals(HA2, DigestClient.ha2(DigestClient.METHOD, URI));
            assertEquals(RESPONSE, DigestClient.keyRequestResponse(ha1, ENTITY, REQUEST, epk, NONCE, NC, CNONCE));
            assertEquals(NC, DigestClient.nc(1));
        }
    }

    @Test
    void keyAgreement_workedExample_isRfc7748Section61() throws GeneralSecurityException {
        try (X25519.EphemeralKeyPair requester = requester(); X25519.EphemeralKeyPair server = server()) {
            assertEquals(REQUESTER_PUBLIC_HEX, HEX.formatHex(requester.publicKey().bytes()));
            assertEquals(REQUESTER_EPK, requester.publicKey().text());
            assertEquals(SERVER_PUBLIC_HEX, HEX.formatHex(server.publicKey().bytes()));
            assertEquals(SERVER_EPK, server.publicKey().text());
            try (SecretBytes a = requester.agree(server.publicKey()); SecretBytes b = server.agree(requester.publicKey())) {
                assertEquals(SHARED, HEX.formatHex(a.reveal()));
                assertEquals(SHARED, HEX.formatHex(b.reveal()));
            }
        }
    }

    @Test
    void wrapping_workedExample_matchesDocumentedValues() throws GeneralSecurityException {
        final EuKeyWrap.Context ctx = context();
        assertEquals(SALT, utf8(ctx.salt()));
        assertEquals(SALT_HEX, HEX.formatHex(ctx.salt()));
        assertEquals(INFO, utf8(ctx.info()));
        assertEquals(AAD, utf8(ctx.aad()));
        assertEquals(IKM, HA1 + SHARED);
        try (Ha1 ha1 = ha1(); X25519.EphemeralKeyPair server = server();
                SecretBytes shared = server.agree(ctx.requesterEpk());
                SecretBytes kek = EuKeyWrap.deriveKek(ha1, shared, ctx)) {
            assertEquals(KEK, HEX.formatHex(kek.reveal()));
            final byte[] ct = AesGcm.sealWithIvInsecure(kek, HEX.parseHex(IV_HEX), HEX.parseHex(EUKEY_HEX), ctx.aad());
            assertEquals(CT_TAG_HEX, HEX.formatHex(ct));
            assertEquals(CT_B64, B64.encodeToString(ct));
            assertEquals(IV_B64, B64.encodeToString(HEX.parseHex(IV_HEX)));
            final WrappedKey wrapped = new WrappedKey(EuKeyWrap.ALGORITHM, NONCE, CNONCE, ctx.serverEpk(),
                    HEX.parseHex(IV_HEX), ct);
            try (SecretBytes opened = EuKeyWrap.unwrap(wrapped, ha1, shared, ctx)) {
                assertEquals(EUKEY_HEX, HEX.formatHex(opened.reveal()));
            }
        }
        assertEquals(EUKEY_B64, B64.encodeToString(HEX.parseHex(EUKEY_HEX)));
        assertEquals(KCV, KeyCheckValue.of(SecretBytes.copyOf(HEX.parseHex(EUKEY_HEX))));
    }

    @Test
    void messages_workedExample_encodeExactlyAsDocumented() {
        final UserId alice = UserId.of(USER);
        final KeyRequest pan = KeyRequest.proxy(REQUEST, ENTITY, Optional.of("Hallway bulb"));
        final DigestAuthorization auth = new DigestAuthorization(USER, REALM, NONCE, URI, "auth", NC, CNONCE, RESPONSE);
        final X25519PublicKey epk = X25519PublicKey.parse(REQUESTER_EPK, "epk");
        final WrappedKey wrapped = new WrappedKey(EuKeyWrap.ALGORITHM, NONCE, CNONCE,
                X25519PublicKey.parse(SERVER_EPK, "epk"), HEX.parseHex(IV_HEX), HEX.parseHex(CT_TAG_HEX));
        assertEncodes(M1_PAN_REQUEST, pan);
        assertEncodes(M2_PAN_PENDING, StatusReport.pending(REQUEST, ENTITY, "awaiting the user's approval", 5));
        assertEncodes(M3_CLOUD_REQUEST, pan.withUser(alice));
        assertEncodes(M4_CHALLENGE, new Challenge(REQUEST, ENTITY, REALM, NONCE, false));
        assertEncodes(M5_CLOUD_REQUEST_AUTH, pan.withUser(alice).withAuthorization(auth, epk));
        assertEncodes(M6_CLOUD_DELIVERY, KeyDelivery.wrapped(REQUEST, ENTITY, alice, KEY_ID, wrapped));
        assertEncodes(M7_PAN_DELIVERY, KeyDelivery.clear(REQUEST, ENTITY, alice, KEY_ID,
                SecretBytes.copyOf(HEX.parseHex(EUKEY_HEX))));
        assertEncodes(R401, KeyDelivery.refused(REQUEST, ENTITY, Status.UNAUTHORIZED, "authentication failed"));
        assertEncodes(R403, KeyDelivery.refused(REQUEST, ENTITY, Status.FORBIDDEN, "denied by the user"));
        assertEncodes(R409, KeyDelivery.refused(REQUEST, ENTITY, Status.CONFLICT, "entity is assigned to another user"));
        assertEncodes(R429, KeyDelivery.refused(REQUEST, ENTITY, Status.TOO_MANY_REQUESTS, "too many attempts", 60));
        assertEncodes(R400, StatusReport.of(Optional.empty(), Optional.empty(), Status.BAD_REQUEST,
                "unknown field extra"));
    }

    @Test
    void messages_documentedJson_decodeAndUnwrapToTheEuKey() throws GeneralSecurityException {
        // what a PNE with UI (or the gateway) does with the server's Key Delivery
        final KeyDelivery d = (KeyDelivery) CODEC.decode(M6_CLOUD_DELIVERY.getBytes(StandardCharsets.UTF_8));
        final WrappedKey w = d.wrappedKey().orElseThrow();
        try (Ha1 ha1 = ha1(); X25519.EphemeralKeyPair requester = requester();
                SecretBytes shared = requester.agree(w.epk());
                SecretBytes euKey = EuKeyWrap.unwrap(w, ha1, shared, new EuKeyWrap.Context(NONCE, CNONCE,
                        d.entityId(), d.userId().orElseThrow(), d.requestId(), d.keyId().orElseThrow(),
                        requester.publicKey(), w.epk()))) {
            assertEquals(EUKEY_HEX, HEX.formatHex(euKey.reveal()));
        }
        final KeyDelivery clear = (KeyDelivery) CODEC.decode(M7_PAN_DELIVERY.getBytes(StandardCharsets.UTF_8));
        assertTrue(clear.euKey().orElseThrow().equalsSecret(SecretBytes.copyOf(HEX.parseHex(EUKEY_HEX))));
        for (final String m : new String[] {M1_PAN_REQUEST, M2_PAN_PENDING, M3_CLOUD_REQUEST, M4_CHALLENGE,
            M5_CLOUD_REQUEST_AUTH, R401, R403, R409, R429, R400}) {
            assertEquals(m, CODEC.encode(CODEC.decode(m.getBytes(StandardCharsets.UTF_8))).toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void document_printsEveryValueAssertedHere() throws java.io.IOException {
        final String doc = java.nio.file.Files.readString(java.nio.file.Path.of("..", "docs", "PROTOCOL.md"));
        for (final String v : new String[] {HA1, URI, HA2, RESPONSE, SALT, SALT_HEX, INFO, KEK, AAD, IV_B64, CT_B64,
            EUKEY_B64, KCV, REQUESTER_PRIVATE_HEX, SERVER_PRIVATE_HEX, REQUESTER_PUBLIC_HEX, REQUESTER_EPK,
            SERVER_PUBLIC_HEX, SERVER_EPK, SHARED, KEY_ID.value(), CT_TAG_HEX.substring(0, 64), CT_TAG_HEX.substring(64),
            M1_PAN_REQUEST, M2_PAN_PENDING, M3_CLOUD_REQUEST, M4_CHALLENGE, M5_CLOUD_REQUEST_AUTH, M6_CLOUD_DELIVERY,
            M7_PAN_DELIVERY, R401, R403, R409, R429, R400}) {
            assertTrue(doc.contains(v), "docs/PROTOCOL.md section 13 does not print " + v);
        }
    }

    private static void assertEncodes(final String json, final org.cpnskeys.protocol.CpnsMessage m) {
        assertEquals(json, CODEC.encode(m).toString(StandardCharsets.UTF_8));
    }
}
