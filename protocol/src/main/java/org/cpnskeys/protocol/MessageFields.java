package org.cpnskeys.protocol;

import java.util.Base64;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Typed, checked access to one JSON object's fields as {@link MessageCodec} decodes them, remembering which were
 * read so that an unknown field is refused ({@link #noneLeft}). Every refusal is a 400 naming the field.
 */
final class MessageFields {
    private static final Base64.Encoder B64 = Base64.getEncoder();
    private static final Base64.Decoder B64D = Base64.getDecoder();
    static final Object NULL = new Object();
    private final Map<String, Object> map;
    private final String prefix;
    private final Set<String> used = new HashSet<>();

    MessageFields(final Map<String, Object> map, final String prefix) {
        this.map = map;
        this.prefix = prefix;
    }

    void used(final String name) {
        used.add(name);
    }

    private Object get(final String name, final boolean required) {
        used.add(name);
        final Object v = map.get(name);
        if (v == null || v == NULL) {
            if (required) {
                throw ProtocolException.badRequest("field " + prefix + name + " is missing");
            }
            return null;
        }
        return v;
    }

    String string(final String name) {
        return optString(name).orElseThrow(() -> ProtocolException.badRequest("field " + prefix + name + " is missing"));
    }

    Optional<String> optString(final String name) {
        final Object v = get(name, false);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof String s) {
            return Optional.of(s);
        }
        throw ProtocolException.badRequest("field " + prefix + name + " must be a string");
    }

    boolean bool(final String name) {
        return optBool(name).orElseThrow(() -> ProtocolException.badRequest("field " + prefix + name + " is missing"));
    }

    Optional<Boolean> optBool(final String name) {
        final Object v = get(name, false);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof Boolean b) {
            return Optional.of(b);
        }
        throw ProtocolException.badRequest("field " + prefix + name + " must be true or false");
    }

    int integer(final String name) {
        final OptionalInt v = optInteger(name);
        if (v.isEmpty()) {
            throw ProtocolException.badRequest("field " + prefix + name + " is missing");
        }
        return v.getAsInt();
    }

    OptionalInt optInteger(final String name) {
        final Object v = get(name, false);
        if (v == null) {
            return OptionalInt.empty();
        }
        if (v instanceof Long l && l >= 0 && l <= 86_400_000L) {
            return OptionalInt.of(l.intValue());
        }
        throw ProtocolException.badRequest("field " + prefix + name + " must be a non-negative integer");
    }

    Optional<MessageFields> optObject(final String name) {
        final Object v = get(name, false);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof Map<?, ?> m) {
            @SuppressWarnings("unchecked")
            final Map<String, Object> typed = (Map<String, Object>) m;
            return Optional.of(new MessageFields(typed, prefix + name + "."));
        }
        throw ProtocolException.badRequest("field " + prefix + name + " must be an object");
    }

    byte[] base64(final String name) {
        return b64(string(name), prefix + name);
    }

    /** Standard base64 with its padding, canonical (what senders emit; nothing else is accepted). */
    static byte[] b64(final String s, final String what) {
        final byte[] raw;
        try {
            raw = B64D.decode(s);
        } catch (IllegalArgumentException e) {
            throw ProtocolException.badRequest("field " + what + " is not base64");
        }
        if (!B64.encodeToString(raw).equals(s)) {
            throw ProtocolException.badRequest("field " + what + " is not canonical padded base64 (RFC 4648"
                    + " section 4, with '=' padding)");
        }
        return raw;
    }

    void noneLeft() {
        for (final String k : map.keySet()) {
            if (!used.contains(k)) {
                throw ProtocolException.badRequest("unknown field " + prefix + k);
            }
        }
    }
}
