package org.cpnskeys.server.seal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
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
    private static final byte[] V2_LABEL_BYTES = V2_LABEL.getBytes(StandardCharsets.US_ASCII);
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
        final byte[][] fields = {utf8(entity.value()), utf8(keyId.value()), utf8(user.value()), utf8(request.value()),
                utf8(gateway.value())};
        int length = V2_LABEL_BYTES.length;
        for (final byte[] f : fields) {
            if (f.length > 0xFFFF) {
                throw new IllegalArgumentException("identifier longer than 65535 bytes");
            }
            length += 2 + f.length;
        }
        final byte[] out = Arrays.copyOf(V2_LABEL_BYTES, length);
        int at = V2_LABEL_BYTES.length;
        for (final byte[] f : fields) {
            out[at++] = (byte) (f.length >>> 8);
            out[at++] = (byte) f.length;
            System.arraycopy(f, 0, out, at, f.length);
            at += f.length;
        }
        return out;
    }

    private static byte[] utf8(final String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The version 1 associated data of keys sealed before version 2: {@code cpns-master-v1:<entity>:<keyId>} in
     * UTF-8. It binds the entity and Key ID only; kept to open such keys once, when they are re-sealed.
     */
    public byte[] aadV1() {
        return (V1_PREFIX + entity.value() + ":" + keyId.value()).getBytes(StandardCharsets.UTF_8);
    }
}
