package org.cpnskeys.server.seal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.server.store.StoredKey;

/**
 * What a stored EUKey's seal binds it to: the row it is stored in. A sealed key opens only with the same five
 * values it was sealed with, so a row whose entity, Key ID, user, request ID or gateway was changed in the
 * database, or a sealed key copied into another row, does not open.
 */
public record KeyBinding(EntityId entity, KeyId keyId, UserId user, RequestId request, GatewayId gateway) {
    /** The label that starts the version 2 associated data. */
    static final String V2_LABEL = "cpns-eukey-seal-v2";
    private static final String V1_PREFIX = "cpns-master-v1:";

    public KeyBinding {
        Objects.requireNonNull(entity, "entity");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(gateway, "gateway");
    }

    /** The binding of a stored row, as the row says now. */
    public static KeyBinding of(final StoredKey key) {
        return new KeyBinding(key.entityId(), key.keyId(), key.userId(), key.requestId(), key.gatewayId());
    }

    /**
     * The version 2 associated data: the ASCII label {@value #V2_LABEL}, then entity, Key ID, user, request ID and
     * gateway in this order, each as its UTF-8 bytes preceded by their length as a 2-byte big-endian unsigned
     * integer. Length prefixes make the encoding unambiguous whatever characters identifiers may hold.
     */
    public byte[] aadV2() {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(V2_LABEL.length() + 5 * 66);
        out.writeBytes(V2_LABEL.getBytes(StandardCharsets.US_ASCII));
        for (final String field : new String[] {entity.value(), keyId.value(), user.value(), request.value(),
                gateway.value()}) {
            final byte[] b = field.getBytes(StandardCharsets.UTF_8);
            if (b.length > 0xFFFF) {
                throw new IllegalArgumentException("identifier longer than 65535 bytes");
            }
            out.write(b.length >>> 8);
            out.write(b.length & 0xFF);
            out.writeBytes(b);
        }
        return out.toByteArray();
    }

    /**
     * The version 1 associated data of keys sealed before version 2: {@code cpns-master-v1:<entity>:<keyId>} in
     * UTF-8. It binds the entity and Key ID only; kept to open such keys once, when they are re-sealed.
     */
    public byte[] aadV1() {
        return (V1_PREFIX + entity.value() + ":" + keyId.value()).getBytes(StandardCharsets.UTF_8);
    }
}
