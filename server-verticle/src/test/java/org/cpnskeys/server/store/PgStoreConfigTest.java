package org.cpnskeys.server.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;

import org.junit.jupiter.api.Test;

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
}
