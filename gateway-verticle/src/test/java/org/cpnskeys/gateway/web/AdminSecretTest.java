package org.cpnskeys.gateway.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

@Timeout(10)
class AdminSecretTest {
    @TempDir
    Path dir;

    @Test
    void loadOrCreate_firstStart_createsOwnerOnlyRandomSecretThatMatches() throws IOException {
        final Path file = dir.resolve("admin-secret");
        final AdminSecret s = AdminSecret.loadOrCreate(file);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        final String text = Files.readString(file, StandardCharsets.UTF_8);
        assertEquals(24, text.length());
        assertTrue(s.matches(text));
        assertTrue(s.matches(text + "\n"), "a pasted trailing newline is forgiven");
        assertFalse(s.matches(text.substring(1)));
        assertFalse(s.matches(""));
        assertFalse(s.matches(null));
        assertFalse(s.toString().contains(text));
    }

    @Test
    void loadOrCreate_secondStart_keepsTheSameSecret() throws IOException {
        final Path file = dir.resolve("admin-secret");
        AdminSecret.loadOrCreate(file);
        final String text = Files.readString(file, StandardCharsets.UTF_8);
        assertTrue(AdminSecret.loadOrCreate(file).matches(text));
        assertNotEqualsOtherGateway(text);
    }

    private void assertNotEqualsOtherGateway(final String text) throws IOException {
        final Path other = dir.resolve("other");
        AdminSecret.loadOrCreate(other);
        assertFalse(Files.readString(other, StandardCharsets.UTF_8).equals(text), "random per gateway");
    }

    @Test
    void loadOrCreate_tooShortSecret_refusedWithoutQuotingIt() throws IOException {
        final Path file = dir.resolve("admin-secret");
        Files.writeString(file, "short");
        final IOException e = assertThrows(IOException.class, () -> AdminSecret.loadOrCreate(file));
        assertFalse(e.getMessage().contains("short\""));
    }
}
