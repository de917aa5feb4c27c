package org.cpnskeys.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class MessageCodecTest {
    private static final MessageCodec CODEC = new MessageCodec();

    static Stream<CpnsMessage> samples() {
        return Samples.all().stream();
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("samples")
    void decode_encodedMessage_equalsOriginal(final CpnsMessage m) {
        final CpnsMessage back = CODEC.decode(CODEC.encode(m));
        assertEquals(m, back);
        assertEquals(m.type(), back.type());
        if (m instanceof KeyDelivery d) {
            final KeyDelivery e = (KeyDelivery) back;
            assertEquals(d.euKey().isPresent(), e.euKey().isPresent());
            d.euKey().ifPresent(k -> assertTrue(k.equalsSecret(e.euKey().get()), "EUKey"));
            assertEquals(d.wrappedKey(), e.wrappedKey());
        }
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("samples")
    void encode_anyMessage_isOneUtf8ObjectWithVersionAndType(final CpnsMessage m) {
        final JsonObject o = new JsonObject(CODEC.encode(m).toString(StandardCharsets.UTF_8));
        assertEquals(2, o.getInteger("v"));
        assertEquals(m.type(), o.getString("type"));
    }

    /** The consent field is decoded as strictly as the rest: unknown fields, bad channel or signature are 400. */
    @Test
    void decode_consentWithUnknownFieldBadChannelOrShortSignature_isRefused() {
        final JsonObject request = new JsonObject(CODEC.encode(KeyRequest.proxy(Samples.REQ, Samples.PNE,
                Optional.empty()).withConsent(Optional.of(Samples.consent()))));
        final JsonObject consent = request.getJsonObject("consent");
        for (final JsonObject bad : new JsonObject[] {consent.copy().put("extra", 1), consent.copy().put("channel", "sms"),
                consent.copy().put("sig", "AAAA"), consent.copy().put("device", "AB".repeat(32)),
                consent.copy().put("approvedAt", "yesterday"), consent.copy().put("approvedAt", "2026-12-07T20:30:00.123456Z")}) {
            final Buffer payload = request.copy().put("consent", bad).toBuffer();
            final ProtocolException e = assertThrows(ProtocolException.class, () -> CODEC.decode(payload), bad.encode());
            assertEquals(Status.BAD_REQUEST, e.status());
        }
        assertEquals(Samples.consent(), CODEC.decodeConsent(MessageCodec.consentJson(Samples.consent()).encode()));
    }

    /** A receipt of a signed batch carries its place in it; the three fields come together, well-formed, or 400. */
    @Test
    void consent_ofABatch_roundTrips_partialOrMalformedBatchFieldsRefused() {
        final ConsentReceipt alone = Samples.consent();
        final ConsentReceipt inBatch = new ConsentReceipt(alone.gatewayId(), alone.requestId(), alone.entityId(),
                alone.userId(), alone.channel(), alone.device(), alone.approvedAt(), alone.signature(),
                Optional.of(new ConsentBatch(3, 5, new byte[64])));
        final JsonObject json = MessageCodec.consentJson(inBatch);
        assertEquals(inBatch, CODEC.decodeConsent(json.encode()));
        assertEquals(inBatch, ((KeyRequest) CODEC.decode(CODEC.encode(KeyRequest.proxy(Samples.REQ, Samples.PNE,
                Optional.empty()).withConsent(Optional.of(inBatch))))).consent().orElseThrow());
        for (final JsonObject bad : new JsonObject[] {json.copy().put("batchIndex", null),
                json.copy().put("batchIndex", 5), json.copy().put("batchSize", 1), json.copy().put("batchSize", 4097),
                json.copy().put("batchPath", "AAAA"), json.copy().put("batchPath", ""),
                json.copy().put("batchPath", java.util.Base64.getEncoder().encodeToString(new byte[13 * 32]))}) {
            final ProtocolException e = assertThrows(ProtocolException.class, () -> CODEC.decodeConsent(bad.encode()),
                    bad.encode());
            assertEquals(Status.BAD_REQUEST, e.status());
        }
    }

    @Test
    void encode_clearDelivery_carriesBase64EuKeyButToStringDoesNot() {
        final KeyDelivery d = KeyDelivery.clear(Samples.REQ, Samples.PNE, Samples.ALICE, Samples.KEY, Samples.euKey());
        final String b64 = java.util.Base64.getEncoder().encodeToString(Samples.euKey().reveal());
        assertEquals(b64, new JsonObject(CODEC.encode(d)).getString("euKey"));
        assertFalse(d.toString().contains(b64));
        assertFalse(Samples.authorization().toString().contains("6629fae4"));
    }

    @Test
    void encode_challenge_alwaysSays401AuthMd5() {
        final JsonObject o = new JsonObject(CODEC.encode(new Challenge(Samples.REQ, Samples.PNE, "r", "n", false)));
        assertEquals(401, o.getInteger("status"));
        assertEquals("auth", o.getString("qop"));
        assertEquals("MD5", o.getString("algorithm"));
        assertEquals(false, o.getBoolean("stale"));
    }

    @Test
    void decodeExpected_otherType_isRejected() {
        final Buffer challenge = CODEC.encode(new Challenge(Samples.REQ, Samples.PNE, "r", "n", false));
        final ProtocolException e = assertThrows(ProtocolException.class,
                () -> CODEC.decode(challenge, KeyRequest.class));
        assertEquals(400, e.status());
        assertTrue(e.reason().contains("challenge"), e.reason());
        assertEquals(Samples.REQ, CODEC.decode(CODEC.encode(KeyRequest.proxy(Samples.REQ, Samples.PNE,
                Optional.empty())), KeyRequest.class).requestId());
    }

    @Test
    void peekRequestId_invalidMessageWithRequestId_returnsIt() {
        final byte[] bad = "{\"v\":2,\"type\":\"key-request\",\"requestId\":\"r-9\",\"entityId\":\"a/b\"}"
                .getBytes(StandardCharsets.UTF_8);
        assertThrows(ProtocolException.class, () -> CODEC.decode(bad));
        assertEquals(Optional.of(RequestId.of("r-9")), CODEC.peekRequestId(bad));
    }

    @Test
    void peekRequestId_garbageOrBadId_isEmpty() {
        assertEquals(Optional.empty(), CODEC.peekRequestId("nope".getBytes(StandardCharsets.UTF_8)));
        assertEquals(Optional.empty(), CODEC.peekRequestId("{\"requestId\":\"a#b\"}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(Optional.empty(), CODEC.peekRequestId("{\"requestId\":5}".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void constructor_limitBelow256_throws() {
        assertThrows(IllegalArgumentException.class, () -> new MessageCodec(255));
        assertEquals(MessageCodec.DEFAULT_MAX_PAYLOAD_BYTES, new MessageCodec().maxPayloadBytes());
    }

    // ------------------------------------------------------------------ strict rejection

    private static final String KR = "{\"v\":2,\"type\":\"key-request\",\"requestId\":\"r1\",\"entityId\":\"%s\",\"proxy\":true}";
    private static final String KD = "{\"v\":2,\"type\":\"key-delivery\",\"requestId\":\"r1\",\"entityId\":\"e1\",%s}";
    private static final String EPK = "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo";
    private static final String WK = "\"wrappedKey\":{\"alg\":\"A256GCM-X25519-HKDF-SHA256\",\"nonce\":\"n\","
            + "\"cnonce\":\"c1234567\",\"epk\":\"" + EPK + "\",\"iv\":\"AAAAAAAAAAAAAAAA\",\"ct\":\"AAAA\"}";
    private static final String AUTH = "\"authorization\":{\"username\":\"alice\",\"realm\":\"r\",\"nonce\":\"n\","
            + "\"uri\":\"cpns:key-request:e1:r1:" + EPK + "\",\"qop\":\"auth\",\"nc\":\"00000001\",\"cnonce\":\"0a4f113b\","
            + "\"response\":\"" + "0".repeat(32) + "\"}";
    private static final String KRA = "{\"v\":2,\"type\":\"key-request\",\"requestId\":\"r1\",\"entityId\":\"e1\","
            + "\"proxy\":true,%s}";
    private static final String CH = "{\"v\":2,\"type\":\"challenge\",\"requestId\":\"r1\",\"entityId\":\"e1\","
            + "\"status\":401,\"realm\":\"%s\",\"nonce\":\"%s\",\"qop\":\"auth\",\"algorithm\":\"MD5\"}";
    private static final String EK = "\"euKey\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"";

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("not JSON", "hello", "malformed JSON"),
                Arguments.of("empty payload", "", "not a JSON object"),
                Arguments.of("truncated", "{\"v\":2,\"type\":\"key-req", "truncated JSON"),
                Arguments.of("truncated after comma", "{\"v\":2,", "truncated JSON"),
                Arguments.of("array root", "[{\"v\":2}]", "not a JSON object"),
                Arguments.of("string root", "\"v\"", "not a JSON object"),
                Arguments.of("trailing garbage", "{\"v\":2,\"type\":\"status\",\"status\":400} x", "trailing data"),
                Arguments.of("second object", "{\"v\":2,\"type\":\"status\",\"status\":400}{}", "trailing data"),
                Arguments.of("missing v", "{\"type\":\"status\",\"status\":400}", "field v is missing"),
                Arguments.of("v 1 (downgrade)", "{\"v\":1,\"type\":\"status\",\"status\":400}",
                        "unsupported protocol version v: only \"v\": 2 is accepted"),
                Arguments.of("v 3", "{\"v\":3,\"type\":\"status\",\"status\":400}", "unsupported protocol version"),
                Arguments.of("v as string", "{\"v\":\"2\",\"type\":\"status\",\"status\":400}",
                        "unsupported protocol version"),
                Arguments.of("v as float", "{\"v\":2.0,\"type\":\"status\",\"status\":400}", "unsupported protocol version"),
                Arguments.of("missing type", "{\"v\":2,\"status\":400}", "field type is missing"),
                Arguments.of("unknown type", "{\"v\":2,\"type\":\"key-revoke\",\"status\":400}", "unknown message type"),
                Arguments.of("type as number", "{\"v\":2,\"type\":7}", "field type must be a string"),
                Arguments.of("missing requestId", "{\"v\":2,\"type\":\"key-request\",\"entityId\":\"e1\",\"proxy\":true}",
                        "field requestId is missing"),
                Arguments.of("null requestId", "{\"v\":2,\"type\":\"key-request\",\"requestId\":null,\"entityId\":\"e1\","
                        + "\"proxy\":true}", "field requestId is missing"),
                Arguments.of("missing proxy", "{\"v\":2,\"type\":\"key-request\",\"requestId\":\"r1\",\"entityId\":\"e1\"}",
                        "field proxy is missing"),
                Arguments.of("missing status", String.format(KD, "\"reason\":\"x\""), "field status is missing"),
                Arguments.of("proxy as string", "{\"v\":2,\"type\":\"key-request\",\"requestId\":\"r1\",\"entityId\":\"e1\","
                        + "\"proxy\":\"true\"}", "field proxy must be true or false"),
                Arguments.of("proxy as number", "{\"v\":2,\"type\":\"key-request\",\"requestId\":\"r1\",\"entityId\":\"e1\","
                        + "\"proxy\":1}", "field proxy must be true or false"),
                Arguments.of("requestId as number", "{\"v\":2,\"type\":\"key-request\",\"requestId\":1,\"entityId\":\"e1\","
                        + "\"proxy\":true}", "field requestId must be a string"),
                Arguments.of("requestId as boolean", "{\"v\":2,\"type\":\"key-request\",\"requestId\":true,"
                        + "\"entityId\":\"e1\",\"proxy\":true}", "field requestId must be a string"),
                Arguments.of("status as string", String.format(KD, "\"status\":\"401\""),
                        "field status must be a non-negative integer"),
                Arguments.of("status as boolean", String.format(KD, "\"status\":true"),
                        "field status must be a non-negative integer"),
                Arguments.of("status as float", String.format(KD, "\"status\":401.0"),
                        "field status must be a non-negative integer"),
                Arguments.of("negative retryAfter", String.format(KD, "\"status\":429,\"retryAfter\":-5"),
                        "field retryAfter must be a non-negative integer"),
                Arguments.of("authorization as string", "{\"v\":2,\"type\":\"key-request\",\"requestId\":\"r1\","
                        + "\"entityId\":\"e1\",\"proxy\":true,\"authorization\":\"Digest x\"}",
                        "field authorization must be an object"),
                Arguments.of("array value", String.format(KD, "\"status\":401,\"reason\":[\"x\"]"), "arrays"),
                Arguments.of("unknown field", String.format(KD, "\"status\":401,\"extra\":1"), "unknown field extra"),
                Arguments.of("unknown nested field", String.format(KD, "\"status\":200,\"userId\":\"u\",\"keyId\":\"k\","
                        + WK.replace("\"ct\"", "\"tag\":\"AA==\",\"ct\"")), "unknown field wrappedKey.tag"),
                Arguments.of("duplicate field", String.format(KD, "\"status\":401,\"status\":200"),
                        "duplicate field status"),
                Arguments.of("duplicate nested field", String.format(KD, "\"status\":200,\"userId\":\"u\",\"keyId\":\"k\","
                        + WK.replace("\"ct\"", "\"iv\":\"AAAAAAAAAAAAAAAA\",\"ct\"")), "duplicate field iv"),
                Arguments.of("nesting too deep", String.format(KD, "\"status\":401,\"x\":{\"y\":{\"z\":{}}}"),
                        "nested too deeply"),
                Arguments.of("number too long", String.format(KD, "\"status\":4010000000000000000000000"),
                        "limit"),
                Arguments.of("number out of long range", String.format(KD, "\"status\":99999999999999999999"),
                        "out of range"),
                Arguments.of("unknown status", String.format(KD, "\"status\":418"), "status 418"),
                Arguments.of("202 delivery", String.format(KD, "\"status\":202"), "status 202"),
                Arguments.of("NaN", String.format(KD, "\"status\":NaN"), "malformed JSON"),
                Arguments.of("single quotes", "{'v':2}", "malformed JSON"),
                Arguments.of("comment", "{\"v\":2,/* c */\"type\":\"status\",\"status\":400}", "malformed JSON"),
                Arguments.of("raw control character", "{\"v\":2,\"type\":\"status\",\"status\":400,\"reason\":\"a\u0001\"}",
                        "malformed JSON"),
                Arguments.of("byte order mark", "\ufeff{\"v\":2,\"type\":\"status\",\"status\":400}", "malformed JSON"),
                Arguments.of("entity id with +", String.format(KR, "a+b"), "Entity ID is not valid"),
                Arguments.of("entity id with #", String.format(KR, "a#"), "Entity ID is not valid"),
                Arguments.of("entity id with /", String.format(KR, "a/b"), "Entity ID is not valid"),
                Arguments.of("entity id ..", String.format(KR, ".."), "Entity ID is not valid"),
                Arguments.of("entity id empty", String.format(KR, ""), "Entity ID is not valid"),
                Arguments.of("entity id 65 chars", String.format(KR, "e".repeat(65)), "Entity ID is not valid"),
                Arguments.of("entity id with space", String.format(KR, "a b"), "Entity ID is not valid"),
                Arguments.of("description over 200", "{\"v\":2,\"type\":\"key-request\",\"requestId\":\"r1\",\"entityId\":"
                        + "\"e1\",\"proxy\":true,\"description\":\"" + "d".repeat(201) + "\"}", "description longer"),
                Arguments.of("authorization for another user", "{\"v\":2,\"type\":\"key-request\",\"requestId\":\"r1\","
                        + "\"entityId\":\"e1\",\"proxy\":true,\"userId\":\"bob\",\"epk\":\"" + EPK + "\",\"authorization\":{\"username\":\"alice\","
                        + "\"realm\":\"r\",\"nonce\":\"n\",\"uri\":\"cpns:key-request:e1\",\"qop\":\"auth\",\"nc\":\"00000001\","
                        + "\"cnonce\":\"0a4f113b\",\"response\":\"" + "0".repeat(32) + "\"}}", "differs from userId"),
                Arguments.of("nc not 8 hex", "{\"v\":2,\"type\":\"key-request\",\"requestId\":\"r1\",\"entityId\":\"e1\","
                        + "\"proxy\":true,\"epk\":\"" + EPK + "\",\"authorization\":{\"username\":\"alice\",\"realm\":\"r\","
                        + "\"nonce\":\"n\",\"uri\":\"cpns:key-request:e1\",\"qop\":\"auth\",\"nc\":\"1\",\"cnonce\":\"0a4f113b\","
                        + "\"response\":\"" + "0".repeat(32) + "\"}}", "authorization.nc"),
                Arguments.of("qop auth-int", "{\"v\":2,\"type\":\"key-request\",\"requestId\":\"r1\",\"entityId\":\"e1\","
                        + "\"proxy\":true,\"epk\":\"" + EPK + "\",\"authorization\":{\"username\":\"alice\",\"realm\":\"r\","
                        + "\"nonce\":\"n\",\"uri\":\"cpns:key-request:e1\",\"qop\":\"auth-int\",\"nc\":\"00000001\",\"cnonce\":\"0a4f113b\","
                        + "\"response\":\"" + "0".repeat(32) + "\"}}", "qop"),
                Arguments.of("challenge not 401", "{\"v\":2,\"type\":\"challenge\",\"requestId\":\"r1\",\"entityId\":\"e1\","
                        + "\"status\":403,\"realm\":\"r\",\"nonce\":\"n\",\"qop\":\"auth\",\"algorithm\":\"MD5\"}",
                        "a challenge has status 401"),
                Arguments.of("challenge SHA-256", "{\"v\":2,\"type\":\"challenge\",\"requestId\":\"r1\",\"entityId\":\"e1\","
                        + "\"status\":401,\"realm\":\"r\",\"nonce\":\"n\",\"qop\":\"auth\",\"algorithm\":\"SHA-256\"}",
                        "algorithm must be"),
                Arguments.of("200 delivery without key", String.format(KD, "\"status\":200,\"userId\":\"u\",\"keyId\":\"k\""),
                        "exactly one of wrappedKey, euKey"),
                Arguments.of("200 delivery with both keys", String.format(KD, "\"status\":200,\"userId\":\"u\","
                        + "\"keyId\":\"k\"," + WK + "," + EK), "exactly one of wrappedKey, euKey"),
                Arguments.of("200 delivery without keyId", String.format(KD, "\"status\":200,\"userId\":\"u\"," + EK),
                        "carries userId, keyId"),
                Arguments.of("401 delivery with wrapped key", String.format(KD, "\"status\":401," + WK), "carries no key"),
                Arguments.of("403 delivery with clear key", String.format(KD, "\"status\":403," + EK), "carries no key"),
                Arguments.of("409 delivery with keyId", String.format(KD, "\"status\":409,\"keyId\":\"k\""),
                        "carries no key"),
                Arguments.of("euKey not 32 bytes", String.format(KD, "\"status\":200,\"userId\":\"u\",\"keyId\":\"k\","
                        + "\"euKey\":\"AAAA\""), "euKey must be 32 bytes"),
                Arguments.of("euKey not base64", String.format(KD, "\"status\":200,\"userId\":\"u\",\"keyId\":\"k\","
                        + "\"euKey\":\"***\""), "field euKey is not base64"),
                Arguments.of("authorization without epk (downgrade)", String.format(KRA, AUTH),
                        "a Key Request with authorization must carry epk"),
                Arguments.of("epk padded", String.format(KRA, "\"epk\":\"" + EPK + "=\"," + AUTH), "field epk must be"),
                Arguments.of("epk standard alphabet", String.format(KRA, "\"epk\":\"" + EPK.replace('_', '/') + "\","
                        + AUTH), "field epk must be"),
                Arguments.of("epk non-canonical last character", String.format(KRA, "\"epk\":\""
                        + EPK.substring(0, 42) + "p\"," + AUTH), "canonical"),
                Arguments.of("epk 16 bytes", String.format(KRA, "\"epk\":\"AAAAAAAAAAAAAAAAAAAAAA\""), "field epk must be"),
                Arguments.of("epk as number", String.format(KRA, "\"epk\":5"), "field epk must be a string"),
                Arguments.of("wrapped key without epk", String.format(KD, "\"status\":200,\"userId\":\"u\",\"keyId\":\"k\","
                        + WK.replace("\"epk\":\"" + EPK + "\",", "")), "field wrappedKey.epk is missing"),
                Arguments.of("wrapped key epk malformed", String.format(KD, "\"status\":200,\"userId\":\"u\",\"keyId\":\"k\","
                        + WK.replace(EPK, "xyz")), "field wrappedKey.epk must be"),
                Arguments.of("euKey without padding", String.format(KD, "\"status\":200,\"userId\":\"u\",\"keyId\":\"k\","
                        + EK.replace("=", "")), "field euKey is not canonical padded base64"),
                Arguments.of("entity id a..b", String.format(KR, "a..b"), "Entity ID is not valid"),
                Arguments.of("challenge realm with colon", String.format(CH, "a:b", "n"), "challenge realm"),
                Arguments.of("challenge realm empty", String.format(CH, "", "n"), "challenge realm"),
                Arguments.of("challenge realm 65 chars", String.format(CH, "r".repeat(65), "n"), "challenge realm"),
                Arguments.of("challenge nonce with '='", String.format(CH, "r", "bm9uY2U="), "challenge nonce"),
                Arguments.of("challenge nonce with quote", String.format(CH, "r", "a\\\"b"), "challenge nonce"),
                Arguments.of("challenge nonce 129 chars", String.format(CH, "r", "n".repeat(129)), "challenge nonce"),
                Arguments.of("iv not base64", String.format(KD, "\"status\":200,\"userId\":\"u\",\"keyId\":\"k\","
                        + WK.replace("AAAAAAAAAAAAAAAA", "%%")), "field wrappedKey.iv is not base64"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void decode_invalidPayload_throws400NamingTheProblem(final String name, final String json, final String reason) {
        assertRejected(json.getBytes(StandardCharsets.UTF_8), reason);
    }

    static Stream<Arguments> invalidUtf8() {
        final byte[] valid = "{\"v\":2,\"type\":\"status\",\"status\":400,\"reason\":\"XX\"}".getBytes(StandardCharsets.UTF_8);
        return Stream.of(
                Arguments.of("lone 0xff", patch(valid, new byte[] {(byte) 0xff})),
                Arguments.of("lone continuation byte", patch(valid, new byte[] {(byte) 0x80})),
                Arguments.of("truncated two-byte sequence", patch(valid, new byte[] {(byte) 0xc3})),
                Arguments.of("overlong slash", patch(valid, new byte[] {(byte) 0xc0, (byte) 0xaf})),
                Arguments.of("encoded surrogate", patch(valid, new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80})),
                Arguments.of("beyond U+10FFFF", patch(valid, new byte[] {(byte) 0xf4, (byte) 0x90, (byte) 0x80,
                    (byte) 0x80})));
    }

    /** Replaces the "XX" placeholder of a payload with raw bytes. */
    private static byte[] patch(final byte[] payload, final byte[] raw) {
        final String s = new String(payload, StandardCharsets.ISO_8859_1);
        final int at = s.indexOf("XX");
        final byte[] out = new byte[payload.length - 2 + raw.length];
        System.arraycopy(payload, 0, out, 0, at);
        System.arraycopy(raw, 0, out, at, raw.length);
        System.arraycopy(payload, at + 2, out, at + raw.length, payload.length - at - 2);
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidUtf8")
    void decode_invalidUtf8_throws400(final String name, final byte[] payload) {
        assertRejected(payload, "not valid UTF-8");
    }

    @Test
    void decode_utf16Payload_throws400() {
        final String json = "{\"v\":2,\"type\":\"status\",\"status\":400}";
        assertRejected(json.getBytes(StandardCharsets.UTF_16LE), "malformed JSON");
        assertRejected(json.getBytes(StandardCharsets.UTF_16BE), "malformed JSON");
    }

    @Test
    void decode_validUtf8NonAscii_isAccepted() {
        final StatusReport s = (StatusReport) CODEC.decode(
                "{\"v\":2,\"type\":\"status\",\"status\":400,\"reason\":\"\u00e9\u4e2d\ud83d\ude00\"}"
                        .getBytes(StandardCharsets.UTF_8));
        assertEquals("\u00e9\u4e2d\ud83d\ude00", s.reason());
    }

    @Test
    void decode_payloadOverLimit_throws400() {
        final MessageCodec small = new MessageCodec(256);
        final String ok = "{\"v\":2,\"type\":\"status\",\"status\":400,\"reason\":\"" + "r".repeat(150) + "\"}";
        small.decode(ok.getBytes(StandardCharsets.UTF_8));
        final String big = "{\"v\":2,\"type\":\"status\",\"status\":400,\"reason\":\"" + "r".repeat(250) + "\"}";
        final ProtocolException e = assertThrows(ProtocolException.class,
                () -> small.decode(big.getBytes(StandardCharsets.UTF_8)));
        assertEquals(400, e.status());
        assertEquals("payload larger than 256 bytes", e.reason());
        assertEquals(Optional.empty(), small.peekRequestId(big.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void decode_nullOptionalField_isTreatedAsAbsent() {
        final KeyRequest r = (KeyRequest) CODEC.decode(("{\"v\":2,\"type\":\"key-request\",\"requestId\":\"r1\","
                + "\"entityId\":\"e1\",\"proxy\":true,\"userId\":null}").getBytes(StandardCharsets.UTF_8));
        assertEquals(Optional.empty(), r.userId());
    }

    private static void assertRejected(final byte[] payload, final String reason) {
        final ProtocolException e = assertThrows(ProtocolException.class, () -> CODEC.decode(payload));
        assertEquals(400, e.status());
        assertTrue(e.reason().contains(reason), () -> "reason \"" + e.reason() + "\" does not name \"" + reason + "\"");
    }
}
