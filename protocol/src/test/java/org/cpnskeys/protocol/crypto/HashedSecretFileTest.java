package org.cpnskeys.protocol.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The one owner-only text secret (approval page's admin secret, admin API token). */
@Timeout(10)
class HashedSecretFileTest {
    @TempDir
    Path dir;

    @Test
    void firstUse_createsAnOwnerOnlyRandomBase64urlSecret_thatMatchesOnlyExactly() throws IOException {
        final Path file = dir.resolve("sub/token");
        final HashedSecretFile secret = HashedSecretFile.loadOrCreate(file, 32, 32, "a token");
        final String text = Files.readString(file, StandardCharsets.US_ASCII);

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertTrue(text.matches("[A-Za-z0-9_-]{43}"), "32 random bytes in base64url: " + text.length() + " characters");
        assertTrue(secret.matches(text));
        assertFalse(secret.matches(text + "\n"), "the caller decides what white space to forgive");
        assertFalse(secret.matches(text.substring(1)));
        assertFalse(secret.matches(""));
        assertFalse(secret.matches(null));
    }

    @Test
    void laterLoads_readTheSameSecret_andEachFileIsRandom() throws IOException {
        final Path file = dir.resolve("token");
        HashedSecretFile.loadOrCreate(file, 18, 16, "a secret");
        final String text = Files.readString(file, StandardCharsets.US_ASCII);
        Files.writeString(file, text + "\n", StandardCharsets.US_ASCII);

        assertTrue(HashedSecretFile.loadOrCreate(file, 18, 16, "a secret").matches(text),
                "a newline an editor added to the file is not part of the secret");
        HashedSecretFile.loadOrCreate(dir.resolve("other"), 18, 16, "a secret");
        assertNotEquals(text, Files.readString(dir.resolve("other"), StandardCharsets.US_ASCII));
    }

    @Test
    void aTooShortSecret_isRefusedWithAMessageThatNeverQuotesIt() throws IOException {
        final Path file = dir.resolve("token");
        Files.writeString(file, "hunter2-hunter2", StandardCharsets.US_ASCII);
        final IOException e = assertThrows(IOException.class, () -> HashedSecretFile.loadOrCreate(file, 32, 32, "a token"));

        assertTrue(e.getMessage().contains("a token of at least 32 characters"), e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }

    @Test
    void toString_namesTheFileNeverTheSecret() throws IOException {
        final Path file = dir.resolve("token");
        final HashedSecretFile secret = HashedSecretFile.loadOrCreate(file, 32, 32, "a token");

        assertFalse(secret.toString().contains(Files.readString(file, StandardCharsets.US_ASCII)));
        assertTrue(secret.toString().contains(file.toString()));
    }
}
