package org.cpnskeys.gateway.credentials;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.Ha1;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class GatewayCredentialsTest {
    /** RFC 2617 section 3.5: HA1 of Mufasa / testrealm@host.com / "Circle Of Life". */
    private static final String REALM = "testrealm@host.com";
    private static final String PASSWORD = "Circle Of Life";
    private static final String HA1 = "939e7578ed9e3c518a452acee763bce9";

    @TempDir
    Path dir;

    /** Verifies that the file holds user, realm and HA1 only, never the password. */
    @Test
    void set_password_fileHoldsHa1NotPassword() throws IOException {
        final Path file = dir.resolve("credentials");
        final GatewayCredentials credentials = GatewayCredentials.open(file);

        credentials.set(UserId.of("Mufasa"), REALM, PASSWORD.toCharArray());

        final String content = Files.readString(file);
        assertEquals("Mufasa:" + REALM + ":" + HA1 + "\n", content);
        assertFalse(content.contains(PASSWORD));
        assertFalse(content.contains("Circle"));
        assertEquals(HA1, credentials.current().orElseThrow().ha1().hex());
    }

    /** Verifies that the password array is left to the caller, unchanged (the caller zeroes it). */
    @Test
    void set_passwordArray_notModified() throws IOException {
        final char[] password = PASSWORD.toCharArray();

        GatewayCredentials.open(dir.resolve("credentials")).set(UserId.of("Mufasa"), REALM, password);

        assertEquals(PASSWORD, new String(password));
    }

    /** Verifies that the credentials survive a reopen. */
    @Test
    void set_thenReopen_sameCredentials() throws IOException {
        final Path file = dir.resolve("credentials");
        GatewayCredentials.open(file).set(UserId.of("Mufasa"), REALM, PASSWORD.toCharArray());

        final UserCredentials reopened = GatewayCredentials.open(file).current().orElseThrow();

        assertEquals(UserId.of("Mufasa"), reopened.userId());
        assertEquals(REALM, reopened.realm());
        assertTrue(reopened.ha1().equalsHa1(Ha1.fromHex(HA1)));
    }

    /** Verifies that the file is owner-only (0600). */
    @Test
    void set_newFile_ownerOnly() throws IOException {
        final Path file = dir.resolve("gw/credentials");

        GatewayCredentials.open(file).set(UserId.of("alice"), "cpns", "pw".toCharArray());

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    /** Verifies that a second user replaces the first (one owner per gateway). */
    @Test
    void set_secondUser_replacesFirst() throws IOException {
        final Path file = dir.resolve("credentials");
        final GatewayCredentials credentials = GatewayCredentials.open(file);
        credentials.set(UserId.of("alice"), "cpns", "pw1".toCharArray());

        credentials.set(UserId.of("bob"), "cpns", "pw2".toCharArray());

        assertEquals(UserId.of("bob"), GatewayCredentials.open(file).current().orElseThrow().userId());
        assertEquals(1, Files.readAllLines(file).size());
    }

    /** Verifies that clear forgets the credentials, in memory and on disk. */
    @Test
    void clear_thenReopen_empty() throws IOException {
        final Path file = dir.resolve("credentials");
        final GatewayCredentials credentials = GatewayCredentials.open(file);
        credentials.set(UserId.of("alice"), "cpns", "pw".toCharArray());

        credentials.clear();

        assertTrue(credentials.current().isEmpty());
        assertFalse(Files.exists(file));
        assertTrue(GatewayCredentials.open(file).current().isEmpty());
    }

    /** Verifies that a missing file means no credentials. */
    @Test
    void open_missingFile_empty() throws IOException {
        assertTrue(GatewayCredentials.open(dir.resolve("none")).current().isEmpty());
    }

    /** Verifies that a corrupt file is refused with a message that does not quote its content. */
    @Test
    void open_corruptFile_failsWithoutQuotingContent() throws IOException {
        final Path file = dir.resolve("credentials");
        Files.writeString(file, "alice:cpns:SECRETSECRETSECRET\n");

        final IOException e = assertThrows(IOException.class, () -> GatewayCredentials.open(file));

        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertFalse(e.getMessage().contains("SECRETSECRET"), e.getMessage());
    }

    /** Verifies that two lines or a missing field are refused. */
    @Test
    void open_wrongShape_fails() throws IOException {
        final Path file = dir.resolve("credentials");
        Files.writeString(file, "alice:" + HA1 + "\n");
        assertThrows(IOException.class, () -> GatewayCredentials.open(file));
        Files.writeString(file, "alice:cpns:" + HA1 + "\nbob:cpns:" + HA1 + "\n");
        assertThrows(IOException.class, () -> GatewayCredentials.open(file));
    }

    /** Verifies that a realm that would break the file's format is refused. */
    @Test
    void set_realmWithColon_refused() throws IOException {
        final GatewayCredentials credentials = GatewayCredentials.open(dir.resolve("credentials"));

        assertThrows(IllegalArgumentException.class, () -> credentials.set(UserId.of("alice"), "a:b", "pw".toCharArray()));
        assertThrows(IllegalArgumentException.class, () -> credentials.set(UserId.of("alice"), "", "pw".toCharArray()));
    }

    /** Verifies that toString never shows HA1. */
    @Test
    void toString_credentials_redactsHa1() throws IOException {
        final GatewayCredentials credentials = GatewayCredentials.open(dir.resolve("credentials"));
        final UserCredentials set = credentials.set(UserId.of("Mufasa"), REALM, PASSWORD.toCharArray());

        assertFalse(set.toString().contains(HA1), set.toString());
        assertTrue(set.toString().contains("redacted"));
        assertFalse(credentials.toString().contains(HA1));
    }
}
