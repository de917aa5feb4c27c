package org.cpnskeys.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import io.vertx.core.json.JsonObject;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/** Property-based tests of the codec (jqwik): totality on any input, and round trips of valid messages. */
class MessageCodecPropertiesTest {
    private final MessageCodec codec = new MessageCodec();

    @Property(tries = 3000)
    void decode_anyBytes_messageOr400(@ForAll @Size(max = 2048) final byte[] payload) {
        try {
            codec.decode(payload);
        } catch (ProtocolException e) {
            assertEquals(Status.BAD_REQUEST, e.status());
        }
    }

    @Property(tries = 2000)
    void decode_anyJsonishText_messageOr400(@ForAll("jsonish") final String text) {
        try {
            codec.decode(text.getBytes(StandardCharsets.UTF_8));
        } catch (ProtocolException e) {
            assertEquals(Status.BAD_REQUEST, e.status());
        }
    }

    @Property(tries = 1000)
    void keyRequest_valid_roundTrips(@ForAll("keyRequests") final KeyRequest request) {
        assertEquals(request, codec.decode(codec.encode(request), KeyRequest.class));
    }

    @Property(tries = 500)
    void keyRequest_unknownFieldAdded_refused(@ForAll("keyRequests") final KeyRequest request,
            @ForAll("identifiers") final String field) {
        final JsonObject json = codec.encode(request).toJsonObject();
        if (json.containsKey(field)) {
            return;
        }
        json.put(field, 1);
        try {
            codec.decode(json.toBuffer());
            throw new AssertionError("accepted unknown field " + field);
        } catch (ProtocolException e) {
            assertEquals(Status.BAD_REQUEST, e.status());
        }
    }

    @Provide
    Arbitrary<String> identifiers() {
        return Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
                .ofMinLength(1).ofMaxLength(64);
    }

    @Provide
    Arbitrary<String> jsonish() {
        return Arbitraries.strings().withChars("{}[]\":,\\ 0123456789.-+eEtrufalsn vtypekyqstId")
                .ofMaxLength(300).map(s -> "{\"v\":2,\"type\":\"key-request\"," + s);
    }

    @Provide
    Arbitrary<KeyRequest> keyRequests() {
        final Arbitrary<String> ids = identifiers();
        final Arbitrary<Optional<String>> description = Arbitraries.strings().ofMaxLength(KeyRequest.MAX_DESCRIPTION)
                .optional();
        return Combinators.combine(ids, ids, Arbitraries.of(true, false), ids.optional(), description)
                .as((req, entity, proxy, user, desc) -> new KeyRequest(RequestId.of(req), EntityId.of(entity), proxy,
                        user.map(UserId::of), desc, Optional.empty(), Optional.empty()));
    }
}
