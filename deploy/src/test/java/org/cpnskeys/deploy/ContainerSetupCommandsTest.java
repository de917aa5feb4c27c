package org.cpnskeys.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.gateway.credentials.GatewayCredentials;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.server.GatewayRegistry;
import org.cpnskeys.server.auth.DeploymentRealm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one-shot commands the Compose file's init services run (no shell, no terminal in the image): each works
 * from files only, writes secrets owner-only, and keeps what exists when run again.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ContainerSetupCommandsTest {
    @TempDir
    Path dir;

    private static int run(final String... args) {
        final CommandLine cli = new CommandLine(Cpns.commandLine());
        return cli.run(args);
    }

    @Test
    void clusterSecrets_withTextSecrets_createdOwnerOnly_keptWhenAskedFailedOtherwise() throws Exception {
        final Path out = dir.resolve("secrets");
        assertEquals(0, run("server", "cluster-secrets", "--out", out.toString(), "--keep-existing",
                "--text-secret", "broker-server.secret", "--text-secret", "pg.password"));
        for (final String f : new String[] {"master.key", "nonce.key", "broker-server.secret", "pg.password"}) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve(f))), f);
        }
        final String password = Files.readString(out.resolve("pg.password"), StandardCharsets.US_ASCII).strip();
        assertTrue(password.matches("[A-Za-z0-9_-]{32}"), "one line of 32 URL-safe characters: " + password.length());
        assertNotEquals(password, Files.readString(out.resolve("broker-server.secret")).strip(), "independent");
        final byte[] master = Files.readAllBytes(out.resolve("master.key"));
        assertEquals(32, master.length);

        assertEquals(0, run("server", "cluster-secrets", "--out", out.toString(), "--keep-existing",
                "--text-secret", "broker-server.secret", "--text-secret", "pg.password"));
        assertArrayEquals(master, Files.readAllBytes(out.resolve("master.key")), "kept");
        assertNotEquals(0, run("server", "cluster-secrets", "--out", out.toString()), "never overwritten silently");
        assertNotEquals(0, run("server", "cluster-secrets", "--out", dir.resolve("x").toString(), "--text-secret",
                "../escape"), "a plain file name only");
    }

    @Test
    void addGateway_tokenFile_registeredOnce_keptOnTheSecondRun() throws Exception {
        final Path registry = dir.resolve("gateways");
        final Path token = dir.resolve("home-gw.token");
        assertEquals(0, run("server", "add-gateway", "--registry", registry.toString(), "--id", "home-gw",
                "--token-file", token.toString()));
        final String first = Files.readString(token, StandardCharsets.US_ASCII).strip();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(token)));
        assertTrue(GatewayRegistry.open(registry).verify("home-gw", first.getBytes(StandardCharsets.US_ASCII)));
        assertEquals(0, run("server", "add-gateway", "--registry", registry.toString(), "--id", "home-gw",
                "--token-file", token.toString()));
        assertEquals(first, Files.readString(token, StandardCharsets.US_ASCII).strip(), "the token is kept");
        assertTrue(GatewayRegistry.open(registry).verify("home-gw", first.getBytes(StandardCharsets.US_ASCII)),
                "and still valid");
    }

    @Test
    void userAddAndGatewayCredentials_passwordFile_sameHa1OnBothSides() throws Exception {
        final Path password = dir.resolve("alice.password");
        Files.writeString(password, "correct horse\n", StandardCharsets.UTF_8);
        final Path users = dir.resolve("users.htdigest");
        assertEquals(0, run("user", "add", "--file", users.toString(), "--password-file", password.toString(), "alice"));
        // the deployment's own realm, made by the first 'user add' and kept next to the file
        final String realm = Files.readString(dir.resolve(DeploymentRealm.FILE), StandardCharsets.US_ASCII).strip();
        assertTrue(realm.startsWith(DeploymentRealm.PREFIX), realm);
        final String expected = DigestClient.ha1("alice", realm, "correct horse".toCharArray()).hex();
        assertEquals("alice:" + realm + ":" + expected, Files.readString(users).strip());
        final Path gateway = dir.resolve("gateway");
        assertEquals(0, run("gateway", "credentials", "--data", gateway.toString(), "--user", "alice",
                "--realm", realm, "--password-file", password.toString()));
        assertEquals(expected, GatewayCredentials.open(gateway.resolve("credentials")).current().orElseThrow().ha1().hex());
        assertNotEquals(0, run("user", "add", "--file", users.toString(), "--password-file",
                dir.resolve("missing").toString(), "bob"), "a missing password file is an error");
    }

    /** Runs the launcher's command line with its output captured (not printed into the test log). */
    private static final class CommandLine {
        private final picocli.CommandLine cli;

        CommandLine(final picocli.CommandLine cli) {
            this.cli = cli;
            cli.setOut(new PrintWriter(new StringWriter()));
            cli.setErr(new PrintWriter(new StringWriter()));
        }

        int run(final String... args) {
            return cli.execute(args);
        }
    }
}
