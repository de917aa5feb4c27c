package org.cpnskeys.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.vertx.core.json.JsonObject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The optional {@code traceparent} field (PROTOCOL.md section 5.1): on every message type, strict, in one place. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class TraceParentCodecTest {
    private static final MessageCodec CODEC = new MessageCodec();
    static final String VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    static Stream<CpnsMessage> samples() {
        return Samples.all().stream();
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("samples")
    void everyMessageType_carriesAValidTraceparentThereAndBack(final CpnsMessage m) {
        final TraceParent tp = TraceParent.parse(VALID);
        final JsonObject wire = new JsonObject(CODEC.encode(m, Optional.of(tp)));
        assertEquals(VALID, wire.getString("traceparent"));
        final Traced<CpnsMessage> back = CODEC.decodeTraced(wire.toBuffer());
        assertEquals(Optional.of(tp), back.traceparent());
        assertEquals(m, back.message());
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("samples")
    void everyMessageType_withoutTraceparent_decodesWithNone(final CpnsMessage m) {
        final JsonObject wire = new JsonObject(CODEC.encode(m));
        assertFalse(wire.containsKey("traceparent"));
        assertEquals(Optional.empty(), CODEC.decodeTraced(wire.toBuffer()).traceparent());
    }

    @Test
    void nullTraceparent_isAbsent() {
        final JsonObject wire = new JsonObject(CODEC.encode(KeyRequest.proxy(Samples.REQ, Samples.PNE,
                Optional.empty()))).putNull("traceparent");
        assertEquals(Optional.empty(), CODEC.decodeTraced(wire.toBuffer()).traceparent());
    }

    @Test
    void plainDecode_acceptsATraceparentAndTypedDecodeKeepsIt() {
        final KeyRequest r = KeyRequest.proxy(Samples.REQ, Samples.PNE, Optional.empty());
        final TraceParent tp = TraceParent.parse(VALID);
        assertEquals(r, CODEC.decode(CODEC.encode(r, Optional.of(tp))));
        final Traced<KeyRequest> typed = CODEC.decodeTraced(CODEC.encode(r, Optional.of(tp)), KeyRequest.class);
        assertEquals(r, typed.message());
        assertEquals(Optional.of(tp), typed.traceparent());
        assertThrows(ProtocolException.class, () -> CODEC.decodeTraced(CODEC.encode(r, Optional.of(tp)),
                Challenge.class));
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("upper-case hex", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01"),
                Arguments.of("upper-case flags", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A"),
                Arguments.of("another version", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
                Arguments.of("forbidden version ff", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
                Arguments.of("too long (a version 00 has nothing after the flags)", VALID + "-00"),
                Arguments.of("too long by one", VALID + "0"),
                Arguments.of("too long (1000 chars)", VALID + "0".repeat(945)),
                Arguments.of("too short", VALID.substring(0, 54)),
                Arguments.of("empty", ""),
                Arguments.of("all-zero trace ID", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
                Arguments.of("all-zero parent ID", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"),
                Arguments.of("not hex", "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01"),
                Arguments.of("flags not hex", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x"),
                Arguments.of("wrong separator", "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
                Arguments.of("separator moved", "00-4bf92f3577b34da6a3ce929d0e0e47-3600f067aa0ba902b7-01"),
                Arguments.of("spaces", " 0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedTraceparent_isRefused400NamingTheField(final String name, final String value) {
        for (final CpnsMessage m : Samples.all()) {
            final JsonObject wire = new JsonObject(CODEC.encode(m)).put("traceparent", value);
            final ProtocolException e = assertThrows(ProtocolException.class, () -> CODEC.decode(wire.toBuffer()),
                    name + " accepted on " + m.type());
            assertEquals(400, e.status());
            assertTrue(e.reason().contains("traceparent"), e.reason());
        }
    }

    @Test
    void traceparentNotAString_isRefused() {
        final JsonObject wire = new JsonObject(CODEC.encode(KeyRequest.proxy(Samples.REQ, Samples.PNE,
                Optional.empty()))).put("traceparent", 1);
        final ProtocolException e = assertThrows(ProtocolException.class, () -> CODEC.decode(wire.toBuffer()));
        assertTrue(e.reason().contains("traceparent"), e.reason());
        final JsonObject nested = new JsonObject(CODEC.encode(KeyRequest.proxy(Samples.REQ, Samples.PNE,
                Optional.empty()))).put("traceparent", new JsonObject().put("v", VALID));
        assertThrows(ProtocolException.class, () -> CODEC.decode(nested.toBuffer()));
    }

    @Test
    void duplicateTraceparent_isRefused() {
        final String json = "{\"v\":2,\"type\":\"status\",\"status\":503,\"reason\":\"x\",\"traceparent\":\"" + VALID
                + "\",\"traceparent\":\"" + VALID + "\"}";
        assertThrows(ProtocolException.class, () -> CODEC.decode(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    @Test
    void traceparent_textIsTheParsedForm_andSampledFlagIsBitZero() {
        final TraceParent tp = TraceParent.parse(VALID);
        assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", tp.traceId());
        assertEquals("00f067aa0ba902b7", tp.parentId());
        assertTrue(tp.sampled());
        assertEquals(VALID, tp.text());
        assertFalse(TraceParent.parse(VALID.substring(0, 53) + "00").sampled());
        assertEquals("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff",
                new TraceParent(tp.traceId(), tp.parentId(), 0xff).text());
    }
}
