package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.pne.EuKeyStore;
import org.cpnskeys.pne.PneApplication;
import org.cpnskeys.pne.PneConfig;
import org.cpnskeys.pne.PneOutcome;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.crypto.KeyCheckValue;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.server.OperationsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator confirms a device holds the right EUKey without seeing it: the key check value (PROTOCOL.md section
 * 11) that {@code cpns keys list} and the admin API show for each ACTIVE key equals the one computed from the EUKey
 * the PNE received and stored in its PKCS#12 file, end to end (a real PNE, gateway, brokers and server); a
 * superseded key shows none; no listing carries the key.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KeysListKeyCheckValueIT {
    @TempDir
    static Path dir;
    static Fixture f;
    static String adminUrl;

    @BeforeAll
    static void start() {
        f = new Fixture(dir, LocalSystem.Options.defaults().withServerOperations(OperationsConfig.adminOnLoopback(0)));
        adminUrl = "http://127.0.0.1:" + f.system.server().adminPort().orElseThrow();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    /** The PNE's key store holds the EUKey it received; its KCV, and the key in base64 and hex. */
    private static List<String> pneKey(final String entity) throws Exception {
        final PneConfig config = f.pneConfig(entity, Optional.empty());
        final PneOutcome o = Fixture.await(PneApplication.requestKey(f.vertx, config));
        assertTrue(o.stored(), o.reason());
        try (SecretBytes key = EuKeyStore.load(config.keyStore(), config.keyStorePassword(), EntityId.of(entity))) {
            final byte[] k = key.reveal();
            assertEquals(o.keyCheckValue().orElseThrow(), KeyCheckValue.of(key), "the PNE stored what it received");
            return List.of(KeyCheckValue.of(key), Base64.getEncoder().encodeToString(k), HexFormat.of().formatHex(k));
        }
    }

    private static JsonArray adminKeys(final String entity) throws Exception {
        final String token = Files.readString(f.system.server().adminTokenFile()).strip();
        final HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(adminUrl + "/admin/keys?entity=" + entity)).header("Authorization", "Bearer " + token)
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return new JsonObject(r.body()).getJsonArray("keys");
    }

    private static String row(final AdminCommandsIT.Run list, final String keyId) {
        assertEquals(0, list.code(), list.err());
        return list.out().lines().filter(l -> l.contains(keyId)).findFirst().orElseThrow(() -> new AssertionError(
                keyId + " not listed: " + list.out()));
    }

    @Test
    @DisplayName("cpns keys list and GET /admin/keys show the KCV of the EUKey the PNE received, only for the ACTIVE key, never the key")
    void keysList_activeKey_kcvEqualsTheOneOfTheKeyThePneReceived() throws Exception {
        final List<String> first = pneKey("kcv-bulb");
        final List<String> second = pneKey("kcv-bulb"); // the owner asks again: the key rotates
        assertNotEquals(first.get(0), second.get(0));

        final JsonArray keys = adminKeys("kcv-bulb");
        assertEquals(2, keys.size(), keys.encode());
        final JsonObject superseded = keys.getJsonObject(0);
        final JsonObject active = keys.getJsonObject(1);
        assertEquals("SUPERSEDED", superseded.getString("state"));
        assertFalse(superseded.containsKey("kcv"), "only an ACTIVE key is checked");
        assertEquals("ACTIVE", active.getString("state"));
        assertEquals(second.get(0), active.getString("kcv"));
        for (final String secret : List.of(second.get(1), second.get(2), first.get(1), first.get(2))) {
            assertFalse(keys.encode().contains(secret), "no key material in the API");
        }

        final Path serverDir = f.system.dir().resolve("server");
        final AdminCommandsIT.Run online = AdminCommandsIT.cpns(serverDir, adminUrl, "", "keys", "list", "--entity",
                "kcv-bulb");
        assertTrue(row(online, active.getString("keyId")).matches(".*\\bACTIVE\\s+" + second.get(0) + "\\s.*"),
                online.out());
        assertTrue(row(online, superseded.getString("keyId")).matches(".*\\bSUPERSEDED\\s+-\\s.*"), online.out());
        final AdminCommandsIT.Run offline = AdminCommandsIT.cpns(serverDir, adminUrl, "", "keys", "list", "--entity",
                "kcv-bulb", "--offline");
        assertTrue(row(offline, active.getString("keyId")).matches(".*\\bACTIVE\\s+" + second.get(0) + "\\s.*"),
                "offline, from the store and master.key: " + offline.out());
        for (final String secret : List.of(second.get(1), second.get(2))) {
            assertFalse(online.out().contains(secret) || offline.out().contains(secret), "no key material printed");
        }
    }
}
