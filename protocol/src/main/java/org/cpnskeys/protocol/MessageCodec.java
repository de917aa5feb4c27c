package org.cpnskeys.protocol;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonEOFException;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.X25519PublicKey;

/**
 * The one JSON codec of the protocol. Decoding is strict: the payload must be one UTF-8 JSON object no larger
 * than the configured size, with {@code "v": 2} (no other version, no fallback), a known {@code type}, every required field present with
 * the right type, no unknown or duplicate field and no nesting deeper than the schema. Any violation is a
 * {@link ProtocolException} with status 400 and a reason naming the field; nothing else is ever thrown.
 */
public final class MessageCodec {
    /** Default payload limit: a real message is well under 1 KiB. */
    public static final int DEFAULT_MAX_PAYLOAD_BYTES = 8 * 1024;
    private static final int MAX_DEPTH = 3;
    private static final Base64.Encoder B64 = Base64.getEncoder();

    private final int maxPayloadBytes;
    private final JsonFactory json;

    public MessageCodec() {
        this(DEFAULT_MAX_PAYLOAD_BYTES);
    }

    public MessageCodec(final int maxPayloadBytes) {
        if (maxPayloadBytes < 256) {
            throw new IllegalArgumentException("maxPayloadBytes must be at least 256");
        }
        this.maxPayloadBytes = maxPayloadBytes;
        this.json = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_DEPTH + 1)
                        .maxStringLength(maxPayloadBytes)
                        .maxNumberLength(20)
                        .build())
                .build();
    }

    public int maxPayloadBytes() {
        return maxPayloadBytes;
    }

    // ------------------------------------------------------------------ decoding

    public CpnsMessage decode(final Buffer payload) {
        return decode(payload.getBytes());
    }

    public CpnsMessage decode(final byte[] payload) {
        return decodeTraced(payload).message();
    }

    /** Decodes a message with its optional {@code traceparent} (checked as strictly as every other field). */
    public Traced<CpnsMessage> decodeTraced(final Buffer payload) {
        return decodeTraced(payload.getBytes());
    }

    /** Decodes a message with its optional {@code traceparent} (checked as strictly as every other field). */
    public Traced<CpnsMessage> decodeTraced(final byte[] payload) {
        if (payload.length > maxPayloadBytes) {
            throw ProtocolException.badRequest("payload larger than " + maxPayloadBytes + " bytes");
        }
        final Map<String, Object> root = parse(payload);
        final MessageFields f = new MessageFields(root, "");
        final Object v = root.get("v");
        if (!(v instanceof Long l) || l != CpnsMessage.VERSION) {
            throw ProtocolException.badRequest(v == null ? "field v is missing"
                    : "unsupported protocol version v: only \"v\": " + CpnsMessage.VERSION + " is accepted");
        }
        f.used("v");
        final String type = f.string("type");
        try {
            final CpnsMessage m = switch (type) {
                case KeyRequest.TYPE -> keyRequest(f);
                case KeyRelease.TYPE -> keyRelease(f);
                case Challenge.TYPE -> challenge(f);
                case KeyDelivery.TYPE -> keyDelivery(f);
                case StatusReport.TYPE -> statusReport(f);
                default -> throw ProtocolException.badRequest("unknown message type");
            };
            // looked up only when there (no cost to an untraced message): the same check as any optional field
            final Optional<TraceParent> traceparent = root.containsKey("traceparent")
                    ? f.optString("traceparent").map(TraceParent::parse) : Optional.empty();
            f.noneLeft();
            return new Traced<>(m, traceparent);
        } catch (IllegalArgumentException e) {
            throw ProtocolException.badRequest(e.getMessage());
        }
    }

    /**
     * Decodes a message that must be of the given type. Used where only one type is legal (a server only
     * accepts Key Requests).
     */
    public <T extends CpnsMessage> T decode(final Buffer payload, final Class<T> expected) {
        return decodeTraced(payload, expected).message();
    }

    /** {@link #decode(Buffer, Class)} with the message's optional {@code traceparent}. */
    public <T extends CpnsMessage> Traced<T> decodeTraced(final Buffer payload, final Class<T> expected) {
        final Traced<CpnsMessage> t = decodeTraced(payload);
        if (!expected.isInstance(t.message())) {
            throw ProtocolException.badRequest("message type " + t.message().type() + " is not accepted here");
        }
        return new Traced<>(expected.cast(t.message()), t.traceparent());
    }

    /** Best effort, for error replies: the request and entity IDs of a payload that failed to decode. */
    public Optional<RequestId> peekRequestId(final byte[] payload) {
        try {
            if (payload.length > maxPayloadBytes) {
                return Optional.empty();
            }
            final Object r = parse(payload).get("requestId");
            return r instanceof String s ? Optional.of(RequestId.of(s)) : Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private KeyRequest keyRequest(final MessageFields f) {
        final RequestId requestId = RequestId.of(f.string("requestId"));
        final EntityId entityId = EntityId.of(f.string("entityId"));
        final boolean proxy = f.bool("proxy");
        final Optional<UserId> userId = f.optString("userId").map(UserId::of);
        final Optional<String> description = f.optString("description");
        final Optional<X25519PublicKey> epk = f.optString("epk").map(e -> X25519PublicKey.parse(e, "field epk"));
        final Optional<DigestAuthorization> auth = authorization(f);
        final Optional<ConsentReceipt> consent = f.optObject("consent").map(ConsentReceiptFields::consent);
        return new KeyRequest(requestId, entityId, proxy, userId, description, epk, auth, consent);
    }

    private KeyRelease keyRelease(final MessageFields f) {
        final RequestId requestId = RequestId.of(f.string("requestId"));
        final EntityId entityId = EntityId.of(f.string("entityId"));
        final boolean proxy = f.bool("proxy");
        final Optional<UserId> userId = f.optString("userId").map(UserId::of);
        return new KeyRelease(requestId, entityId, proxy, userId, authorization(f));
    }

    private static Optional<DigestAuthorization> authorization(final MessageFields f) {
        return f.optObject("authorization").map(a -> {
            final DigestAuthorization d = new DigestAuthorization(a.string("username"), a.string("realm"),
                    a.string("nonce"), a.string("uri"), a.string("qop"), a.string("nc"), a.string("cnonce"),
                    a.string("response"));
            a.noneLeft();
            return d;
        });
    }

    /** A consent receipt on its own, as the {@code consent} field carries it (the form the server stores). */
    public static JsonObject consentJson(final ConsentReceipt r) {
        return ConsentReceiptFields.consentJson(r);
    }

    /** Decodes {@link #consentJson}'s form as strictly as the field of a Key Request. */
    public ConsentReceipt decodeConsent(final String json) {
        final byte[] payload = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (payload.length > maxPayloadBytes) {
            throw ProtocolException.badRequest("consent receipt larger than " + maxPayloadBytes + " bytes");
        }
        try {
            return ConsentReceiptFields.consent(new MessageFields(parse(payload), "consent."));
        } catch (IllegalArgumentException e) {
            throw ProtocolException.badRequest(e.getMessage());
        }
    }

    private Challenge challenge(final MessageFields f) {
        final RequestId requestId = RequestId.of(f.string("requestId"));
        final EntityId entityId = EntityId.of(f.string("entityId"));
        final int status = f.integer("status");
        if (status != Status.UNAUTHORIZED) {
            throw ProtocolException.badRequest("a challenge has status 401");
        }
        final String realm = f.string("realm");
        final String nonce = f.string("nonce");
        if (!Challenge.QOP.equals(f.string("qop"))) {
            throw ProtocolException.badRequest("qop must be \"auth\"");
        }
        if (!Challenge.ALGORITHM.equals(f.string("algorithm"))) {
            throw ProtocolException.badRequest("algorithm must be \"MD5\"");
        }
        final boolean stale = f.optBool("stale").orElse(false);
        return new Challenge(requestId, entityId, realm, nonce, stale);
    }

    private KeyDelivery keyDelivery(final MessageFields f) {
        final RequestId requestId = RequestId.of(f.string("requestId"));
        final EntityId entityId = EntityId.of(f.string("entityId"));
        final int status = f.integer("status");
        final Optional<String> reason = f.optString("reason");
        final Optional<UserId> userId = f.optString("userId").map(UserId::of);
        final Optional<KeyId> keyId = f.optString("keyId").map(KeyId::of);
        final Optional<WrappedKey> wrapped = f.optObject("wrappedKey").map(w -> {
            final WrappedKey k = new WrappedKey(w.string("alg"), w.string("nonce"), w.string("cnonce"),
                    X25519PublicKey.parse(w.string("epk"), "field wrappedKey.epk"), w.base64("iv"), w.base64("ct"));
            w.noneLeft();
            return k;
        });
        final Optional<SecretBytes> euKey = f.optString("euKey").map(s -> SecretBytes.adopt(MessageFields.b64(s, "euKey")));
        final OptionalInt retryAfter = f.optInteger("retryAfter");
        return new KeyDelivery(requestId, entityId, status, reason, userId, keyId, wrapped, euKey, retryAfter);
    }

    private StatusReport statusReport(final MessageFields f) {
        final Optional<RequestId> requestId = f.optString("requestId").map(RequestId::of);
        final Optional<EntityId> entityId = f.optString("entityId").map(EntityId::of);
        final int status = f.integer("status");
        final String reason = f.optString("reason").orElse("");
        final OptionalInt retryAfter = f.optInteger("retryAfter");
        return new StatusReport(requestId, entityId, status, reason, retryAfter);
    }

    private Map<String, Object> parse(final byte[] payload) {
        // Decode strictly as UTF-8 first: Jackson would otherwise auto-detect UTF-16/32 and accept overlong
        // forms and encoded surrogates.
        final char[] text = utf8(payload);
        try (JsonParser p = json.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw ProtocolException.badRequest("payload is not a JSON object");
            }
            final Map<String, Object> root = readObject(p, 1);
            final JsonToken after;
            try {
                after = p.nextToken();
            } catch (IOException | RuntimeException e) {
                throw ProtocolException.badRequest("trailing data after the JSON object");
            }
            if (after != null) {
                throw ProtocolException.badRequest("trailing data after the JSON object");
            }
            return root;
        } catch (IOException | RuntimeException e) {
            if (e instanceof ProtocolException pe) {
                throw pe;
            }
            if (e instanceof JsonEOFException || String.valueOf(e.getMessage()).contains("end-of-input")) {
                throw ProtocolException.badRequest("truncated JSON");
            }
            if (e instanceof StreamConstraintsException) {
                throw ProtocolException.badRequest("JSON exceeds a length or nesting limit");
            }
            throw ProtocolException.badRequest("malformed JSON");
        }
    }

    private static char[] utf8(final byte[] payload) {
        try {
            final CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(payload));
            final char[] out = new char[chars.remaining()];
            chars.get(out);
            return out;
        } catch (CharacterCodingException e) {
            throw ProtocolException.badRequest("payload is not valid UTF-8");
        }
    }

    private Map<String, Object> readObject(final JsonParser p, final int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw ProtocolException.badRequest("JSON nested too deeply");
        }
        final Map<String, Object> map = new LinkedHashMap<>();
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            final String name = p.currentName();
            if (map.containsKey(name)) {
                throw ProtocolException.badRequest("duplicate field " + name);
            }
            map.put(name, readValue(p, p.nextToken(), depth));
        }
        if (t != JsonToken.END_OBJECT) {
            throw ProtocolException.badRequest("malformed JSON");
        }
        return map;
    }

    private Object readValue(final JsonParser p, final JsonToken t, final int depth) throws IOException {
        if (t == null) {
            throw ProtocolException.badRequest("truncated JSON");
        }
        return switch (t) {
            case START_OBJECT -> readObject(p, depth + 1);
            case START_ARRAY -> throw ProtocolException.badRequest("arrays are not part of the protocol");
            case VALUE_STRING -> p.getText();
            case VALUE_NUMBER_INT -> {
                try {
                    yield p.getLongValue();
                } catch (IOException | RuntimeException e) {
                    throw ProtocolException.badRequest("number out of range");
                }
            }
            case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> MessageFields.NULL;
            default -> throw ProtocolException.badRequest("malformed JSON");
        };
    }

    // ------------------------------------------------------------------ encoding

    public Buffer encode(final CpnsMessage message) {
        return encode(message, Optional.empty());
    }

    /** Encodes a message with a {@code traceparent} when one is given (the same field on every message type). */
    public Buffer encode(final CpnsMessage message, final Optional<TraceParent> traceparent) {
        final JsonObject o = new JsonObject().put("v", CpnsMessage.VERSION).put("type", message.type());
        if (message instanceof KeyRequest r) {
            o.put("requestId", r.requestId().value()).put("entityId", r.entityId().value()).put("proxy", r.proxy());
            r.userId().ifPresent(u -> o.put("userId", u.value()));
            r.description().ifPresent(d -> o.put("description", d));
            r.epk().ifPresent(k -> o.put("epk", k.text()));
            r.authorization().ifPresent(a -> o.put("authorization", authorization(a)));
            r.consent().ifPresent(c -> o.put("consent", consentJson(c)));
        } else if (message instanceof KeyRelease r) {
            o.put("requestId", r.requestId().value()).put("entityId", r.entityId().value()).put("proxy", r.proxy());
            r.userId().ifPresent(u -> o.put("userId", u.value()));
            r.authorization().ifPresent(a -> o.put("authorization", authorization(a)));
        } else if (message instanceof Challenge c) {
            o.put("requestId", c.requestId().value()).put("entityId", c.entityId().value())
                    .put("status", Status.UNAUTHORIZED).put("realm", c.realm()).put("nonce", c.nonce())
                    .put("qop", Challenge.QOP).put("algorithm", Challenge.ALGORITHM).put("stale", c.stale());
        } else if (message instanceof KeyDelivery d) {
            o.put("requestId", d.requestId().value()).put("entityId", d.entityId().value()).put("status", d.status());
            d.reason().ifPresent(r -> o.put("reason", r));
            d.userId().ifPresent(u -> o.put("userId", u.value()));
            d.keyId().ifPresent(k -> o.put("keyId", k.value()));
            d.wrappedKey().ifPresent(w -> o.put("wrappedKey", new JsonObject().put("alg", w.alg())
                    .put("nonce", w.nonce()).put("cnonce", w.cnonce()).put("epk", w.epk().text())
                    .put("iv", B64.encodeToString(w.iv())).put("ct", B64.encodeToString(w.ciphertext()))));
            d.euKey().ifPresent(k -> {
                final byte[] raw = k.reveal();
                try {
                    o.put("euKey", B64.encodeToString(raw));
                } finally {
                    java.util.Arrays.fill(raw, (byte) 0);
                }
            });
            d.retryAfter().ifPresent(s -> o.put("retryAfter", s));
        } else if (message instanceof StatusReport s) {
            s.requestId().ifPresent(r -> o.put("requestId", r.value()));
            s.entityId().ifPresent(e -> o.put("entityId", e.value()));
            o.put("status", s.status()).put("reason", s.reason());
            s.retryAfter().ifPresent(r -> o.put("retryAfter", r));
        }
        traceparent.ifPresent(t -> o.put("traceparent", t.text()));
        return o.toBuffer();
    }

    private static JsonObject authorization(final DigestAuthorization a) {
        return new JsonObject().put("username", a.username()).put("realm", a.realm()).put("nonce", a.nonce())
                .put("uri", a.uri()).put("qop", a.qop()).put("nc", a.nc()).put("cnonce", a.cnonce())
                .put("response", a.response());
    }
}
