package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.deploy.Cpns;
import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.gateway.approval.ConsentSigner;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.crypto.ConsentSignature;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.server.OperationsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * [L] 3 end to end (R7: the user's validation, now provable): a proxy assignment through the real gateway, PAN
 * and server stores the gateway's signed consent receipt with the key, and {@code cpns keys show} prints it
 * verified against the key registered for the gateway; the server's audit log passes {@code cpns audit verify},
 * and an edit of the log alone is found.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ConsentAndAuditConformanceIT {
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
        if (f != null) {
            f.close();
        }
    }

    record Run(int code, String out) {
    }

    @Test
    @DisplayName("R7 a proxy assignment stores the gateway's consent receipt, shown verified by cpns keys show")
    void r7_proxyAssignment_storesAReceiptVerifiedInKeysShow() throws Exception {
        assertTrue(f.runPne("consent-bulb", Optional.empty()).stored());

        assertEquals(1, Fixture.await(f.system.server().store().consents(EntityId.of("consent-bulb"))).size());
        final Run show = cpns("keys", "show", "--entity", "consent-bulb");
        assertEquals(0, show.code(), show.out());
        assertTrue(show.out().contains("consent: approved by " + f.system.user() + " via rule at "), show.out());
        assertTrue(show.out().matches("(?s).*device certificate [0-9a-f]{64}: VERIFIED.*"), show.out());
        final Path seed = f.system.dir().resolve("gateway").resolve(ConsentSigner.KEY_FILE);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(seed)));
    }

    @Test
    @DisplayName("R7 a receipt that no longer verifies (the gateway's key replaced) is shown NOT VERIFIED")
    void r7_keysShow_reportsAReceiptThatNoLongerVerifies() throws Exception {
        assertTrue(f.runPne("consent-rekeyed", Optional.empty()).stored());
        final byte[] original = f.system.server().gateways().consentKeys().of(LocalSystem.Options.defaults().gatewayId())
                .orElseThrow();
        try {
            final byte[] other = ConsentSignature.publicKey(SecretBytes.adopt(new byte[32]));
            f.system.server().gateways().consentKeys().register(LocalSystem.Options.defaults().gatewayId(), other);
            final Run show = cpns("keys", "show", "--entity", "consent-rekeyed");
            assertEquals(1, show.code(), show.out());
            assertTrue(show.out().contains("NOT VERIFIED"), show.out());
        } finally {
            f.system.server().gateways().consentKeys().register(LocalSystem.Options.defaults().gatewayId(), original);
        }
    }

    @Test
    @DisplayName("the audit log of a running server passes cpns audit verify; an edited copy does not")
    void auditVerify_cleanLogPasses_editedCopyIsFound() throws Exception {
        assertTrue(f.runPne("audit-bulb", Optional.empty()).stored());
        final Path log = f.system.dir().resolve("server").resolve("audit.jsonl");
        final Run clean = cpns("audit", "verify");
        assertEquals(0, clean.code(), clean.out());
        assertTrue(clean.out().contains("intact"), clean.out());

        final List<String> lines = new ArrayList<>(Files.readAllLines(log, StandardCharsets.UTF_8));
        lines.set(0, lines.get(0).replaceFirst("\"time\":\"2", "\"time\":\"1"));
        final Path edited = dir.resolve("edited-audit.jsonl");
        Files.write(edited, lines, StandardCharsets.UTF_8);
        // the copy keeps the log's ID (the store keeps each server's head under its log's ID)
        Files.copy(log.resolveSibling("audit.jsonl.id"), dir.resolve("edited-audit.jsonl.id"));
        final Run tampered = cpns("audit", "verify", "--log", edited.toString());
        assertEquals(1, tampered.code(), tampered.out());
        // line 1 edited: found at the link of line 2, or by the head if the log had one line when the head was read
        assertTrue(tampered.out().matches("(?s).*TAMPERED at line [12]: .*"), tampered.out());
    }

    /** Runs {@code cpns args...} against this system's server (data folder and admin API), capturing stdout. */
    private static synchronized Run cpns(final String... args) {
        final List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--admin-url", adminUrl, "--data", f.system.dir().resolve("server").toString()));
        final PrintStream out = System.out;
        final ByteArrayOutputStream o = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            return new Run(Cpns.commandLine().execute(all.toArray(String[]::new)), o.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
        }
    }
}
