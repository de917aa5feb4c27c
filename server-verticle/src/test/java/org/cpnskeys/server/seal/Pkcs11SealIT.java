package org.cpnskeys.server.seal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import java.security.spec.InvalidKeySpecException;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.SecretKeySpec;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Seal 3 in a real PKCS#11 token (SoftHSM2 through the JDK's SunPKCS11): see {@link SoftHsmToken}. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class Pkcs11SealIT {
    private static final byte[] EUKEY = HexFormat.of().parseHex(
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static final KeyBinding BINDING = new KeyBinding(EntityId.of("pne-1"), KeyId.of("k1"), UserId.of("alice"),
            RequestId.of("r1"), GatewayId.of("gw"));
    private static SoftHsmToken token;
    private static Pkcs11Seal seal;

    @TempDir
    Path dir;

    @BeforeAll
    static void token() {
        token = SoftHsmToken.getOrSkip();
        seal = Pkcs11Seal.open(token.config("seal-it"), true);
    }

    private static byte[] sealed() {
        try (SecretBytes k = SecretBytes.copyOf(EUKEY)) {
            return seal.seal(k, BINDING);
        }
    }

    /** Verifies that a key sealed in the token opens to itself, under seal id 3, with the file seal's layout. */
    @Test
    void seal_thenOpen_givesTheEUKeyBack() throws Exception {
        final byte[] sealed = sealed();
        assertEquals(3, seal.id());
        assertEquals(12 + 32 + 16, sealed.length, "IV, ciphertext, tag");
        try (SecretBytes opened = seal.open(sealed, BINDING)) {
            assertArrayEquals(EUKEY, opened.reveal());
        }
        assertFalse(java.util.Arrays.equals(sealed, sealed()), "a fresh IV each time");
    }

    /** Verifies that the key made for a label is found again by a new login (another provider), not made twice. */
    @Test
    void open_existingLabel_findsTheSameKey() throws Exception {
        final Pkcs11Seal again = Pkcs11Seal.open(token.config("seal-it"), false);
        try (SecretBytes opened = again.open(sealed(), BINDING)) {
            assertArrayEquals(EUKEY, opened.reveal());
        }
    }

    /** Verifies that one flipped bit anywhere in the sealed bytes makes the token refuse to open them. */
    @Test
    void open_tamperedSealedKey_refused() {
        final byte[] sealed = sealed();
        for (final int at : new int[] {0, 11, 12, 43, sealed.length - 1}) {
            final byte[] tampered = sealed.clone();
            tampered[at] ^= 1;
            assertThrows(GeneralSecurityException.class, () -> seal.open(tampered, BINDING), "byte " + at);
        }
    }

    /** Verifies that a sealed key moved to another row (another entity, user, request or gateway) does not open. */
    @Test
    void open_anotherRowsBinding_refused() {
        final byte[] sealed = sealed();
        for (final KeyBinding other : new KeyBinding[] {
                new KeyBinding(EntityId.of("pne-2"), KeyId.of("k1"), UserId.of("alice"), RequestId.of("r1"), GatewayId.of("gw")),
                new KeyBinding(EntityId.of("pne-1"), KeyId.of("k1"), UserId.of("mallory"), RequestId.of("r1"), GatewayId.of("gw")),
                new KeyBinding(EntityId.of("pne-1"), KeyId.of("k1"), UserId.of("alice"), RequestId.of("r2"), GatewayId.of("gw")),
                new KeyBinding(EntityId.of("pne-1"), KeyId.of("k1"), UserId.of("alice"), RequestId.of("r1"), GatewayId.of("gw2"))}) {
            assertThrows(GeneralSecurityException.class, () -> seal.open(sealed, other), other.toString());
        }
    }

    /**
     * Verifies that the master key cannot be read out of the token: logged in through a provider of our own, its
     * value has no encoding and the key factory's request for its bytes is refused by the token.
     */
    @Test
    void tokenKey_valueCannotBeReadThroughTheProvider() throws Exception {
        final Provider p = Security.getProvider("SunPKCS11").configure(token.config("seal-it")
                .providerConfiguration("reader"));
        final KeyStore ks = KeyStore.getInstance("PKCS11", p);
        ks.load(null, token.pin.toCharArray());
        final Key key = ks.getKey("seal-it", null);
        assertTrue(key instanceof SecretKey, String.valueOf(key));
        assertNull(key.getEncoded(), "a key whose value the provider could read");
        final SecretKeyFactory factory = SecretKeyFactory.getInstance("AES", p);
        assertThrows(InvalidKeySpecException.class, () -> factory.getKeySpec((SecretKey) key, SecretKeySpec.class));
    }

    /** Verifies that a key under the label that could be read out of the token (extractable) is refused. */
    @Test
    void open_extractableKeyUnderTheLabel_refused() throws Exception {
        final Provider p = Security.getProvider("SunPKCS11").configure("--name = weak\nlibrary = \"" + token.library
                + "\"\nslot = " + token.slot + "\nattributes(generate, CKO_SECRET_KEY, CKK_AES) = {\n  CKA_TOKEN = false\n"
                + "  CKA_SENSITIVE = false\n  CKA_EXTRACTABLE = true\n}\n");
        final KeyStore ks = KeyStore.getInstance("PKCS11", p);
        ks.load(null, token.pin.toCharArray());
        final javax.crypto.KeyGenerator g = javax.crypto.KeyGenerator.getInstance("AES", p);
        g.init(256);
        ks.setEntry("weak", new KeyStore.SecretKeyEntry(g.generateKey()), null);
        final IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Pkcs11Seal.open(token.config("weak"), false));
        assertTrue(e.getMessage().contains("can be read out of the token"), e.getMessage());
    }

    /** Verifies that without the key and without leave to make it, the server fails naming the label. */
    @Test
    void open_missingKeyNotToBeMade_failsNamingTheLabel() {
        final IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Pkcs11Seal.open(token.config("no-such-key"), false));
        assertTrue(e.getMessage().contains("'no-such-key'") && e.getMessage().contains("migrate-master-key"),
                e.getMessage());
    }

    /** Verifies that a PIN file others may read is refused, with a message naming the file but not the PIN. */
    @Test
    void pinFile_readableByOthers_refusedWithoutShowingThePin() throws Exception {
        final Path open = dir.resolve("open.pin");
        Files.writeString(open, token.pin);
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
        final Pkcs11SealConfig c = token.config("seal-it");
        final IllegalStateException readable = assertThrows(IllegalStateException.class, () -> Pkcs11Seal.open(
                new Pkcs11SealConfig(c.library(), c.slot(), 0, c.keyLabel(), open), false));
        assertTrue(readable.getMessage().contains("owner only") && readable.getMessage().contains(open.toString()),
                readable.getMessage());
        assertFalse(readable.getMessage().contains(token.pin));
    }
}
