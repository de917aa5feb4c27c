package org.cpnskeys.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import org.cpnskeys.protocol.GatewayId;

/** The cloud broker's list of PN GWs: who may connect with which token, kept as hashes in an owner-only file. */
@Timeout(10)
class GatewayRegistryTest {
    private static final GatewayId HOME = GatewayId.of("home-gw");

    @TempDir
    Path dir;

    private static byte[] bytes(final String token) {
        return token.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void registeredGateway_verifiedWithItsToken_refusedWithAnother() throws Exception {
        final GatewayRegistry registry = GatewayRegistry.open(dir.resolve("gateways"));
        final String token = registry.register(HOME);
        assertTrue(registry.knows("home-gw"));
        assertTrue(registry.verify("home-gw", bytes(token)));
        assertFalse(registry.verify("home-gw", bytes(token + "x")));
        assertFalse(registry.verify("home-gw", new byte[0]));
        assertEquals(List.of("home-gw"), registry.gatewayIds());
    }

    @Test
    void unknownGateway_refusedWhateverItsToken() throws Exception {
        final GatewayRegistry registry = GatewayRegistry.open(dir.resolve("gateways"));
        final String token = registry.register(HOME);
        assertFalse(registry.knows("other-gw"));
        assertFalse(registry.verify("other-gw", bytes(token)), "a token is good for its own gateway only");
    }

    @Test
    void registeringAgain_replacesTheToken() throws Exception {
        final GatewayRegistry registry = GatewayRegistry.open(dir.resolve("gateways"));
        final String first = registry.register(HOME);
        final String second = registry.register(HOME);
        assertNotEquals(first, second);
        assertFalse(registry.verify("home-gw", bytes(first)), "the old token no longer opens");
        assertTrue(registry.verify("home-gw", bytes(second)));
    }

    @Test
    void file_holdsOnlyTheTokensHash_ownerOnly() throws Exception {
        final Path file = dir.resolve("gateways");
        final String token = GatewayRegistry.open(file).register(HOME);
        final String content = Files.readString(file);
        assertFalse(content.contains(token), "the token itself is never stored");
        assertTrue(content.contains("home-gw:"));
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(file));
    }

    @Test
    void registrationByAnotherProcess_seenWithoutRestart() throws Exception {
        final Path file = dir.resolve("gateways");
        final GatewayRegistry running = GatewayRegistry.open(file);
        assertFalse(running.knows("home-gw"));
        final String token = GatewayRegistry.open(file).register(HOME); // cpns server add-gateway
        assertTrue(running.verify("home-gw", bytes(token)));
    }

    @Test
    void malformedFile_refusesEveryone() throws Exception {
        final Path file = dir.resolve("gateways");
        final GatewayRegistry running = GatewayRegistry.open(file);
        Files.writeString(file, "home-gw\n");
        assertFalse(running.knows("home-gw"), "fails closed");
        assertFalse(running.verify("home-gw", bytes("anything")));
    }
}
