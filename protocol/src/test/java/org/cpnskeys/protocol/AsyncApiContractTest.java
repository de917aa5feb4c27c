package org.cpnskeys.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * {@code docs/asyncapi.yaml} against the code: every message the codec encodes validates against the document's
 * schema for its type, every example in the document validates and is accepted by the codec, and messages the
 * codec refuses are refused by the schemas too. So the contract cannot drift from the implementation unnoticed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AsyncApiContractTest {
    static final Path DOCUMENT = Path.of("..", "docs", "asyncapi.yaml");
    static final Map<String, String> SCHEMA_OF_TYPE = Map.of("key-request", "KeyRequest", "key-release", "KeyRelease", "challenge", "Challenge",
            "key-delivery", "KeyDelivery", "status", "StatusReport");
    static JsonObject document;
    static final MessageCodec CODEC = new MessageCodec();

    @BeforeAll
    static void load() throws IOException {
        try (Reader in = Files.newBufferedReader(DOCUMENT, StandardCharsets.UTF_8)) {
            final Map<String, Object> yaml = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
            document = new JsonObject(yaml);
        }
    }

    /** The document's schema for a message type, with the document's components beside it for the references. */
    static Validator validator(final String type) {
        final String name = SCHEMA_OF_TYPE.get(type);
        assertTrue(name != null, "no schema for message type " + type);
        final JsonObject schemas = document.getJsonObject("components").getJsonObject("schemas");
        assertTrue(schemas.containsKey(name), "docs/asyncapi.yaml has no schema " + name);
        final JsonObject root = new JsonObject()
                .put("allOf", new JsonArray().add(new JsonObject().put("$ref", "#/components/schemas/" + name)))
                .put("components", new JsonObject().put("schemas", schemas));
        return Validator.create(JsonSchema.of(root), new JsonSchemaOptions().setDraft(Draft.DRAFT7)
                .setBaseUri("https://cpnskeys.org/asyncapi").setOutputFormat(OutputFormat.Basic));
    }

    static OutputUnit validate(final JsonObject message) {
        return validator(message.getString("type")).validate(message);
    }

    @Test
    @DisplayName("every message shape the codec encodes validates against the document's schema for its type")
    void encodedMessages_validate() {
        final List<String> failures = new ArrayList<>();
        final java.util.Optional<TraceParent> traced = java.util.Optional.of(
                TraceParent.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
        for (final CpnsMessage m : Samples.all()) {
            for (final JsonObject json : List.of(new JsonObject(CODEC.encode(m)),
                    new JsonObject(CODEC.encode(m, traced)))) {
                final OutputUnit result = validate(json);
                if (!result.getValid()) {
                    failures.add(json.encode() + " -> " + result.getErrors());
                }
            }
        }
        assertEquals(List.of(), failures);
    }

    @Test
    @DisplayName("every example in the document validates and is accepted by the codec, unchanged")
    void documentExamples_validateAndDecode() {
        final JsonObject messages = document.getJsonObject("components").getJsonObject("messages");
        int count = 0;
        for (final String name : messages.fieldNames()) {
            final JsonObject message = messages.getJsonObject(name);
            for (final Object example : message.getJsonArray("examples")) {
                final JsonObject payload = ((JsonObject) example).getJsonObject("payload");
                assertEquals(message.getString("name"), payload.getString("type"), "example of " + name);
                final OutputUnit result = validate(payload);
                assertTrue(result.getValid(), payload.encode() + " -> " + result.getErrors());
                final Traced<CpnsMessage> decoded = CODEC.decodeTraced(payload.toBuffer(), CpnsMessage.class);
                assertEquals(payload, new JsonObject(CODEC.encode(decoded.message(), decoded.traceparent())),
                        "the codec reads and writes it unchanged");
                count++;
            }
        }
        assertTrue(count >= 8, "the document has examples of every message");
    }

    @Test
    @DisplayName("the status codes of the document are the codec's known status codes")
    void statusCodes_matchTheCode() {
        final TreeSet<Integer> documented = document.getJsonObject("components").getJsonObject("schemas")
                .getJsonObject("StatusCode").getJsonArray("enum").stream().map(o -> (Integer) o)
                .collect(Collectors.toCollection(TreeSet::new));
        final TreeSet<Integer> known = IntStream.range(100, 600).filter(Status::isKnown).boxed()
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(known, documented);
    }

    @Test
    @DisplayName("messages the codec refuses are refused by the schemas too")
    void refusedByCodec_refusedBySchema() {
        final JsonObject request = new JsonObject(CODEC.encode(KeyRequest.proxy(Samples.REQ, Samples.PNE,
                java.util.Optional.empty())));
        final JsonObject answered = new JsonObject(CODEC.encode(KeyRequest.proxy(Samples.REQ, Samples.PNE,
                java.util.Optional.empty()).withAuthorization(Samples.authorization(), Samples.REQUESTER_EPK)));
        final JsonObject delivered = new JsonObject(CODEC.encode(KeyDelivery.clear(Samples.REQ, Samples.PNE,
                Samples.ALICE, Samples.KEY, Samples.euKey())));
        final List<JsonObject> bad = List.of(
                request.copy().put("extra", 1),
                request.copy().put("traceparent", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01"),
                request.copy().put("traceparent", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
                request.copy().put("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
                request.copy().put("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-00"),
                request.copy().put("v", 1),
                request.copy().put("entityId", "a..b"),
                answered.copy().put("epk", answered.getString("epk") + "="),
                answered.copy().put("epk", answered.getString("epk").substring(0, 42) + "p"),
                removed(answered, "epk"),
                delivered.copy().put("euKey", delivered.getString("euKey").replace("=", "")),
                request.copy().put("entityId", "cpns/pan/#"),
                request.copy().put("proxy", "yes"),
                delivered.copy().put("status", 403),
                delivered.copy().put("wrappedKey", new JsonObject(CODEC.encode(KeyDelivery.wrapped(Samples.REQ, Samples.PNE,
                        Samples.ALICE, Samples.KEY, Samples.wrapped()))).getJsonObject("wrappedKey")),
                delivered.copy().put("status", 202),
                removed(delivered, "keyId"));
        for (final JsonObject b : bad) {
            assertFalse(validate(b).getValid(), "the schema accepts " + b.encode());
            assertThrows(ProtocolException.class, () -> CODEC.decode(b.toBuffer(), CpnsMessage.class),
                    "the codec accepts " + b.encode());
        }
    }

    private static JsonObject removed(final JsonObject o, final String member) {
        final JsonObject copy = o.copy();
        copy.remove(member);
        return copy;
    }
}
