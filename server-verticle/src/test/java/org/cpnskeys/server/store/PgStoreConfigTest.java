package org.cpnskeys.server.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PgStoreConfigTest {

    @Test
    void fromUrl_userHostPortDatabase_parsed() {
        final PgStoreConfig c = PgStoreConfig.fromUrl("postgresql://cpns@db.example:6543/keys", Optional.empty(), 4);
        assertEquals(new PgStoreConfig("db.example", 6543, "keys", "cpns", Optional.empty(), 4), c);
    }

    @Test
    void fromUrl_noPort_usesDefaultPort() {
        assertEquals(PgStoreConfig.DEFAULT_PORT,
                PgStoreConfig.fromUrl("postgres://cpns@localhost/keys", Optional.empty(), 1).port());
    }

    @Test
    void fromUrl_passwordInUrl_refused() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PgStoreConfig.fromUrl("postgresql://cpns:hunter2@localhost/keys", Optional.empty(), 1));
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }

    @Test
    void fromUrl_missingUserOrDatabase_refused() {
        assertThrows(IllegalArgumentException.class,
                () -> PgStoreConfig.fromUrl("postgresql://localhost/keys", Optional.empty(), 1));
        assertThrows(IllegalArgumentException.class,
                () -> PgStoreConfig.fromUrl("postgresql://cpns@localhost/", Optional.empty(), 1));
        assertThrows(IllegalArgumentException.class,
                () -> PgStoreConfig.fromUrl("mysql://cpns@localhost/keys", Optional.empty(), 1));
    }

    @Test
    void toString_withPassword_redactsIt() {
        final PgStoreConfig c = new PgStoreConfig("h", 5432, "d", "u", Optional.of("s3cret-pw"), 2);
        assertFalse(c.toString().contains("s3cret-pw"), c.toString());
        assertTrue(c.toString().contains("redacted"));
        assertEquals("s3cret-pw", c.connectOptions().getPassword());
        assertEquals("on", c.connectOptions().getProperties().get("synchronous_commit"));
    }

    @Test
    void fromUrl_parameters_refusedRatherThanIgnored() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PgStoreConfig.fromUrl("postgresql://cpns@db.example/keys?sslmode=verify-full", Optional.empty(), 1));
        assertTrue(e.getMessage().contains("--pg-ssl-mode"), e.getMessage());
        assertEquals(PgTls.PLAIN, PgStoreConfig.fromUrl("postgresql://cpns@db.example/keys", Optional.empty(), 1).tls());
    }

    @Test
    void sslMode_unverifiedModes_refusedWithTheReason() {
        for (final String unverified : new String[] {"require", "prefer", "allow"}) {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PgTls.Mode.of(unverified));
            assertTrue(e.getMessage().contains("verify-full"), e.getMessage());
        }
        assertEquals(PgTls.Mode.VERIFY_FULL, PgTls.Mode.of("verify-full"));
        assertThrows(IllegalArgumentException.class, () -> PgTls.Mode.of("on"));
    }

    @Test
    void tls_verifyingModeWithoutCa_refused() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PgTls(PgTls.Mode.VERIFY_FULL, Optional.empty()));
        assertTrue(e.getMessage().contains("--pg-ca-file"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new PgTls(PgTls.Mode.DISABLE, Optional.of(Path.of("ca.pem"))));
    }

    @Test
    void choose_noModeLoopbackHost_plain() {
        assertEquals(PgTls.PLAIN, PgTls.choose("127.0.0.1", Optional.empty(), Optional.empty()));
        assertEquals(PgTls.PLAIN, PgTls.choose("localhost", Optional.empty(), Optional.empty()));
    }

    @Test
    void choose_noModeRemoteHostNoCa_refusedSayingWhatToDo() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PgTls.choose("192.0.2.10", Optional.empty(), Optional.empty()));
        assertTrue(e.getMessage().contains("--pg-ca-file") && e.getMessage().contains("--pg-ssl-mode disable"),
                e.getMessage());
        assertEquals(PgTls.PLAIN, PgTls.choose("192.0.2.10", Optional.of(PgTls.Mode.DISABLE), Optional.empty()));
    }

    @Test
    void choose_caFileWithoutMode_verifyFull(@TempDir final Path dir) throws Exception {
        final Path ca = dir.resolve("ca.pem");
        Files.writeString(ca, CA_PEM);
        assertEquals(PgTls.verifyFull(ca), PgTls.choose("192.0.2.10", Optional.empty(), Optional.of(ca)));
    }

    @Test
    void choose_caFileNotACertificate_refusedAtStart(@TempDir final Path dir) throws Exception {
        final Path notPem = dir.resolve("ca.pem");
        Files.writeString(notPem, "not a certificate");
        assertThrows(IllegalArgumentException.class, () -> PgTls.choose("h", Optional.empty(), Optional.of(notPem)));
        assertThrows(IllegalArgumentException.class,
                () -> PgTls.choose("h", Optional.empty(), Optional.of(dir.resolve("absent.pem"))));
    }

    /** A self-signed certificate (openssl req -x509, P-256), only parsed here. */
    private static final String CA_PEM = """
            -----BEGIN CERTIFICATE-----
            MIIBqTCCAU+gAwIBAgIUaZICRCDqilkKuUSom/i0tvN6sXwwCgYIKoZIzj0EAwIw
            IjEgMB4GA1UEAwwXY3BucyB0ZXN0IFBvc3RncmVTUUwgQ0EwHhcNMjYxMjA3MTQw
            NDA5WhcNMzYxMjA0MTQwNDA5WjAiMSAwHgYDVQQDDBdjcG5zIHRlc3QgUG9zdGdy
            ZVNRTCBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABMCYkmpWUSB5g+NclZaR
            ORPTavZCIh/urrxgJRP/kvrIo81pnk2VQg/wS7ATsi+1hBsGy9EqVwCIu+OQkp5g
            SpqjYzBhMB0GA1UdDgQWBBR5kf+byFs+ljg0WgFb+Cw0en1kxDAfBgNVHSMEGDAW
            gBR5kf+byFs+ljg0WgFb+Cw0en1kxDAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB
            /wQEAwIBBjAKBggqhkjOPQQDAgNIADBFAiEA14s3GwN+ZREBBqkM1ERfPDr8Fm3w
            P+jhBiD/uYnmA0gCIC46r8xEJHizKqao8YQ6AX1n8sKBHVsSfstMkpOHnW1E
            -----END CERTIFICATE-----
            """;
}
