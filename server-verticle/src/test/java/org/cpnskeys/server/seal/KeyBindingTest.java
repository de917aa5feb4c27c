package org.cpnskeys.server.seal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;

/** The associated data that binds a sealed EUKey to its row: its exact bytes, and that it is unambiguous. */
class KeyBindingTest {

    private static KeyBinding binding(final String entity, final String keyId, final String user, final String request,
            final String gateway) {
        return new KeyBinding(EntityId.of(entity), KeyId.of(keyId), UserId.of(user), RequestId.of(request),
                GatewayId.of(gateway));
    }

    /** Verifies the version 2 bytes: the label, then each field as a 2-byte big-endian length and its UTF-8 bytes. */
    @Test
    void aadV2_knownBinding_isLabelThenLengthPrefixedFieldsInOrder() {
        final String expected = "63706e732d65756b65792d7365616c2d7632" // "cpns-eukey-seal-v2"
                + "0005" + "706e652d31" // entity "pne-1"
                + "0002" + "6b31" // Key ID "k1"
                + "0005" + "616c696365" // user "alice"
                + "0002" + "7231" // request ID "r1"
                + "0002" + "6777"; // gateway "gw"
        assertEquals(expected, HexFormat.of().formatHex(binding("pne-1", "k1", "alice", "r1", "gw").aadV2()));
    }

    /** Verifies that moving characters from one field to the next changes the bytes (no separator to confuse). */
    @Test
    void aadV2_charactersShiftedBetweenFields_differ() {
        final byte[] a = binding("ab", "c", "alice", "r1", "gw").aadV2();
        final byte[] b = binding("a", "bc", "alice", "r1", "gw").aadV2();
        final byte[] c = binding("pne", "k1", "alice", "r1", "gw.x").aadV2();
        final byte[] d = binding("pne", "k1", "alice", "r1.gw", "x").aadV2();
        assertFalse(Arrays.equals(a, b));
        assertFalse(Arrays.equals(c, d));
    }

    /** Verifies that each of the five fields changes the bytes. */
    @Test
    void aadV2_eachFieldChanged_differs() {
        final byte[] base = binding("pne-1", "k1", "alice", "r1", "gw").aadV2();
        for (final KeyBinding other : new KeyBinding[] {binding("pne-2", "k1", "alice", "r1", "gw"),
                binding("pne-1", "k2", "alice", "r1", "gw"), binding("pne-1", "k1", "bob", "r1", "gw"),
                binding("pne-1", "k1", "alice", "r2", "gw"), binding("pne-1", "k1", "alice", "r1", "gw2")}) {
            assertFalse(Arrays.equals(base, other.aadV2()), other.toString());
        }
    }

    /** Verifies the version 1 bytes are what servers sealed with before seal 2, so their keys still open. */
    @Test
    void aadV1_isTheFormerMasterKeyAssociatedData() {
        assertEquals("cpns-master-v1:pne-1:k1",
                new String(binding("pne-1", "k1", "alice", "r1", "gw").aadV1(), StandardCharsets.UTF_8));
    }
}
