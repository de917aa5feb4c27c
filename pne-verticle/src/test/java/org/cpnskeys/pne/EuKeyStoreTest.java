package org.cpnskeys.pne;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.crypto.SecretBytes;

/** The PNE's EUKey at rest (F10, R18): a PKCS#12 secret-key entry named by the Entity ID, owner-only. */
@Timeout(10)
class EuKeyStoreTest {
    private static final EntityId ENTITY = EntityId.of("sensor-1");
    private static final char[] PASSWORD = "store-password".toCharArray();

    @TempDir
    Path dir;

    private static SecretBytes newKey() {
        final byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return SecretBytes.adopt(b);
    }

    @Test
    void storedKey_loadsBackTheSame_fromAnOwnerOnlyFile() throws Exception {
        final Path file = dir.resolve("eukey.p12");
        try (SecretBytes key = newKey()) {
            EuKeyStore.store(file, PASSWORD, ENTITY, key);
            try (SecretBytes loaded = EuKeyStore.load(file, PASSWORD, ENTITY)) {
                assertTrue(loaded.equalsSecret(key));
            }
            assertTrue(!key.isDestroyed(), "the caller keeps and zeroes its key");
        }
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(file));
    }

    @Test
    void storingAgain_replacesTheKey() throws Exception {
        final Path file = dir.resolve("eukey.p12");
        try (SecretBytes first = newKey(); SecretBytes second = newKey()) {
            EuKeyStore.store(file, PASSWORD, ENTITY, first);
            EuKeyStore.store(file, PASSWORD, ENTITY, second);
            try (SecretBytes loaded = EuKeyStore.load(file, PASSWORD, ENTITY)) {
                assertTrue(loaded.equalsSecret(second));
            }
        }
    }

    @Test
    void load_wrongPassword_fails() throws Exception {
        final Path file = dir.resolve("eukey.p12");
        try (SecretBytes key = newKey()) {
            EuKeyStore.store(file, PASSWORD, ENTITY, key);
        }
        assertThrows(IOException.class, () -> EuKeyStore.load(file, "guess".toCharArray(), ENTITY));
    }

    @Test
    void load_anotherEntity_failsNamingIt() throws Exception {
        final Path file = dir.resolve("eukey.p12");
        try (SecretBytes key = newKey()) {
            EuKeyStore.store(file, PASSWORD, ENTITY, key);
        }
        final GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
                () -> EuKeyStore.load(file, PASSWORD, EntityId.of("sensor-2")));
        assertTrue(e.getMessage().contains("sensor-2"), e.getMessage());
    }
}
