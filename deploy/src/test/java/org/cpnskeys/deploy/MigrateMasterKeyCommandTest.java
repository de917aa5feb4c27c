package org.cpnskeys.deploy;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    /**
     * Runs {@code cpns server --data <data> <args>} and asserts it fails with every one of {@code expected} in its
     * error output and without making a master key file.
     */
    private void assertRefused(final List<String> expected, final String... args) {
        final List<String> all = new ArrayList<>(List.of("server", "--data", data.toString()));
        all.addAll(List.of(args));
        final OfflineAdminCommandsTest.Run run = OfflineAdminCommandsTest.cpns("", all.toArray(String[]::new));
        assertNotEquals(0, run.code());
        for (final String e : expected) {
            assertTrue(run.err().contains(e), "'" + e + "' in: " + run.err());
        }
        assertTrue(Files.notExists(data.resolve(ServerConfig.MASTER_KEY_FILE)), "no master key file made");
    }

    private String pinFile() throws Exception {
        final Path pin = data.resolve("pin");
        Files.writeString(pin, "1234");
        return pin.toString();
    }

    /** Verifies that a migration to the token without its module or PIN file names both options. */
    @Test
    void migrateToToken_withoutLibraryOrPinFile_failsNamingTheOptions() {
        assertRefused(List.of("--pkcs11-library", "--pkcs11-pin-file"), "migrate-master-key", "--to", "pkcs11");
    }

    /** Verifies that an unknown target is refused with the two that exist. */
    @Test
    void migrate_unknownTarget_failsNamingTheChoices() {
        assertRefused(List.of("--to must be pkcs11 or file"), "migrate-master-key", "--to", "cloud");
    }

    /** Verifies that a missing PKCS#11 module is named, and no master key file is made. */
    @Test
    void migrateToToken_missingLibrary_failsNamingIt() throws Exception {
        assertRefused(List.of("no PKCS#11 library at /nonexistent/libnothing.so"), "migrate-master-key", "--to",
                "pkcs11", "--pkcs11-library", "/nonexistent/libnothing.so", "--pkcs11-pin-file", pinFile());
    }

    /**
     * Verifies that the token options may also be given to 'server' (before the subcommand), and are used: a move to
     * the file that cannot reach the token makes no master key file.
     */
    @Test
    void migrateToFile_optionsGivenToServer_areUsed() throws Exception {
        assertRefused(List.of("no PKCS#11 library at /nonexistent/libserver.so"), "--master-key", "pkcs11",
                "--pkcs11-library", "/nonexistent/libserver.so", "--pkcs11-pin-file", pinFile(), "migrate-master-key",
                "--to", "file");
    }

    /** Verifies that token options given to a server whose master key is the file are refused, not ignored. */
    @Test
    void server_tokenOptionsWithFileMasterKey_refused() {
        assertRefused(List.of("--master-key pkcs11"), "--pkcs11-library", "/usr/lib/softhsm/libsofthsm2.so", "reseal");
    }
}
