package org.cpnskeys.deploy;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The mistakes {@code cpns server migrate-master-key} and {@code --master-key} refuse before touching any key. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MigrateMasterKeyCommandTest {
    @TempDir
    Path data;

    /** Verifies that a migration to the token without its module or PIN file names both options. */
    @Test
    void migrateToToken_withoutLibraryOrPinFile_failsNamingTheOptions() {
        final OfflineAdminCommandsTest.Run run = OfflineAdminCommandsTest.cpns("", "server", "--data", data.toString(),
                "migrate-master-key", "--to", "pkcs11");
        assertNotEquals(0, run.code());
        assertTrue(run.err().contains("--pkcs11-library") && run.err().contains("--pkcs11-pin-file"), run.err());
        assertTrue(Files.notExists(data.resolve(ServerConfig.MASTER_KEY_FILE)), "nothing made");
    }

    /** Verifies that an unknown target is refused with the two that exist. */
    @Test
    void migrate_unknownTarget_failsNamingTheChoices() {
        final OfflineAdminCommandsTest.Run run = OfflineAdminCommandsTest.cpns("", "server", "--data", data.toString(),
                "migrate-master-key", "--to", "cloud");
        assertNotEquals(0, run.code());
        assertTrue(run.err().contains("--to must be pkcs11 or file"), run.err());
    }

    /** Verifies that a missing PKCS#11 module is named, and no master key file is made. */
    @Test
    void migrateToToken_missingLibrary_failsNamingIt() throws Exception {
        final Path pin = data.resolve("pin");
        Files.writeString(pin, "1234");
        final OfflineAdminCommandsTest.Run run = OfflineAdminCommandsTest.cpns("", "server", "--data", data.toString(),
                "migrate-master-key", "--to", "pkcs11", "--pkcs11-library", "/nonexistent/libnothing.so",
                "--pkcs11-pin-file", pin.toString());
        assertNotEquals(0, run.code());
        assertTrue(run.err().contains("no PKCS#11 library at /nonexistent/libnothing.so"), run.err());
        assertTrue(Files.notExists(data.resolve(ServerConfig.MASTER_KEY_FILE)), "nothing made");
    }

    /** Verifies that the token options may also be given to 'server' (before the subcommand), and are used. */
    @Test
    void migrateToToken_optionsGivenToServer_areUsed() throws Exception {
        final Path pin = data.resolve("pin");
        Files.writeString(pin, "1234");
        final OfflineAdminCommandsTest.Run run = OfflineAdminCommandsTest.cpns("", "server", "--data", data.toString(),
                "--master-key", "pkcs11", "--pkcs11-library", "/nonexistent/libserver.so", "--pkcs11-pin-file",
                pin.toString(), "migrate-master-key", "--to", "file");
        assertNotEquals(0, run.code());
        assertTrue(run.err().contains("no PKCS#11 library at /nonexistent/libserver.so"), run.err());
        assertTrue(Files.notExists(data.resolve(ServerConfig.MASTER_KEY_FILE)), "no master key made for a failed move");
    }

    /** Verifies that token options given to a server whose master key is the file are refused, not ignored. */
    @Test
    void server_tokenOptionsWithFileMasterKey_refused() {
        final OfflineAdminCommandsTest.Run run = OfflineAdminCommandsTest.cpns("", "server", "--data", data.toString(),
                "--pkcs11-library", "/usr/lib/softhsm/libsofthsm2.so", "reseal");
        assertNotEquals(0, run.code());
        assertTrue(run.err().contains("--master-key pkcs11"), run.err());
    }
}
