package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.protocol.UserId;
import org.cpnskeys.server.auth.HtdigestFile;
import org.cpnskeys.server.store.PgStoreConfig;
import org.cpnskeys.server.store.TestPostgres;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A new user's mistakes, made with the real launcher ({@code deploy/bin/cpns}, each in its own process, as typed
 * in a shell): each prints one line {@code cpns: <what went wrong>} naming the file or option at fault (and at
 * most one {@code hint:} line), no stack trace and no Java exception name, and exits 2 for a usage mistake, 1 for
 * any other; {@code --verbose} or {@code CPNS_DEBUG=1} adds the trace.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class CliMistakesIT {
    private static final Path LAUNCHER = Path.of("bin", "cpns").toAbsolutePath();
    private static final int USAGE = 2;
    private static final int RUNTIME = 1;

    @TempDir
    Path dir;

    private Path users;

    @BeforeEach
    void usersAndLauncher() throws IOException {
        assertTrue(Files.isExecutable(LAUNCHER), LAUNCHER + " (run after 'mvn package': it uses target/lib)");
        users = dir.resolve("users.htdigest");
        HtdigestFile.addOrReplace(users, UserId.of("alice"), "cpns-mistakes", "alice-password".toCharArray());
    }

    @ParameterizedTest(name = "cpns {0}: names {1}")
    @CsvSource(delimiter = '|', value = {
        "server --prot 1883                         | --prot",
        "server --nonce-lifetime 5m                 | --nonce-lifetime",
        "server --store postgres --pg-url mysql://db.example/cpns | --pg-url",
        "server --store mariadb                     | --store",
        "server --port many                         | --port",
        "pne --entity sensor-1 --ca pan-ca.pem      | --identity",
        "pne --entity 'two words' --identity x.p12 --ca pan-ca.pem | --entity",
        "gateway --data gw --management-port -1     | --cloud-config",
        "nonsense                                   | nonsense"})
    @DisplayName("A usage mistake exits 2 with one line naming the option and a hint to the command's help")
    void usageMistake_exitsTwo_oneLineNamingTheOption(final String args, final String named) throws Exception {
        final Run run = cpns(Map.of(), split(args));
        run.assertOneLine(USAGE, named);
        assertTrue(run.hint().contains("--help"), "hint to the help: " + run.out());
    }

    @Test
    @DisplayName("An unknown option close to a real one: the hint offers the real one")
    void unknownOption_hintOffersTheClosestOption() throws Exception {
        final Run run = cpns(Map.of(), "server", "--admin-prot", "9000");
        run.assertOneLine(USAGE, "--admin-prot");
        assertTrue(run.hint().contains("--admin-port") && run.hint().contains("cpns server --help"), run.out());
    }

    @ParameterizedTest(name = "cpns {0}: names {1}")
    @CsvSource(delimiter = '|', value = {
        "server --data s --users missing.htdigest --port 0 --admin-port -1 --management-port -1 | missing.htdigest",
        "server --data s --broker-host 127.0.0.1 --broker-secret-file missing.secret --admin-port -1 --management-port -1 | --broker-secret-file",
        "server --data s --store postgres --pg-password-file missing.pw --admin-port -1 --management-port -1 | --pg-password-file",
        "gateway --data gw --cloud-config missing.cpns --management-port -1 | --cloud-config",
        "gateway --data gw --cloud-token-file missing.token --management-port -1 | --cloud-token-file",
        "gateway --data gw --cloud-token-file token --pan-broker-host 127.0.0.1 --pan-broker-password-file missing.pw --management-port -1 | --pan-broker-password-file",
        "pne --entity sensor-1 --identity missing.p12 --ca token | --identity",
        "pne --entity sensor-1 --identity token --ca missing.pem | --ca",
        "pne --entity sensor-1 --identity token --identity-password-file missing.pass --ca token | --identity-password-file",
        "broker --data b --server-secret-file missing.secret --gateways gateways | --server-secret-file",
        "server --data s --tls-cert missing.pem --tls-key token --admin-port -1 --management-port -1 | --tls-cert",
        "server --data s --broker-host 127.0.0.1 --broker-secret-file token --broker-ca missing.pem --admin-port -1 --management-port -1 | --broker-ca",
        "server --data s --store postgres --pg-ca-file missing.pem --admin-port -1 --management-port -1 | --pg-ca-file",
        "gateway --data gw --cloud-token-file token --cloud-ca missing.pem --management-port -1 | --cloud-ca",
        "pne --entity sensor-1 --identity token --identity-password-file token --ca token --keystore-password-file missing.pw | --keystore-password-file"})
    @DisplayName("A missing file exits 1 with one line naming the file and the option that gives it")
    void missingFile_exitsOne_oneLineNamingFileAndOption(final String args, final String named) throws Exception {
        Files.writeString(dir.resolve("token"), "some-token\n");
        final Run run = cpns(Map.of(), split(args));
        run.assertOneLine(RUNTIME, named, "missing.");
    }

    @Test
    @DisplayName("A secret the user running cpns may not read: one line naming the file and its option, with a hint")
    void unreadableSecret_namesFileAndOption() throws Exception {
        final Path secret = Files.writeString(dir.resolve("broker.secret"), "s3cret-value\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        final List<String> asOtherUser = new ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) {
            // root reads any file: run as nobody (who may enter the folder but not read the owner-only file)
            Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv (util-linux) to drop root");
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(users, PosixFilePermissions.fromString("rw-r--r--"));
            asOtherUser.addAll(List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
        }
        final Run run = cpns(asOtherUser, Map.of(), "server", "--data", "/tmp/cpns-never-made", "--users", users.toString(),
                "--broker-host", "127.0.0.1", "--broker-secret-file", secret.toString(), "--admin-port", "-1",
                "--management-port", "-1");
        run.assertOneLine(RUNTIME, "--broker-secret-file", secret.toString(), "permission denied");
        assertTrue(run.hint().contains("readable"), run.out());
        assertFalse(run.out().contains("s3cret-value"), "the secret is not printed");
    }

    @Test
    @DisplayName("A PNE identity opened with the wrong password: one line naming the file and the password option")
    void wrongIdentityPassword_namesFileAndOption() throws Exception {
        final java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setEntry("k", new java.security.KeyStore.SecretKeyEntry(new javax.crypto.spec.SecretKeySpec(new byte[16], "AES")),
                new java.security.KeyStore.PasswordProtection("right-password".toCharArray()));
        final Path identity = dir.resolve("sensor-1.p12");
        try (java.io.OutputStream out = Files.newOutputStream(identity)) {
            store.store(out, "right-password".toCharArray());
        }
        Files.writeString(dir.resolve("sensor-1.p12.pass"), "wrong-password\n");
        Files.writeString(dir.resolve("pan-ca.pem"), "not used: the identity fails first\n");
        final Run run = cpns(Map.of(), "pne", "--entity", "sensor-1", "--identity", "sensor-1.p12", "--ca", "pan-ca.pem");
        run.assertOneLine(RUNTIME, "--identity sensor-1.p12", "--identity-password-file");
        assertFalse(run.out().contains("wrong-password"), "no password printed");
    }

    @ParameterizedTest(name = "{0} in use")
    @CsvSource({"--port", "--admin-port", "--management-port"})
    @DisplayName("A server port already in use: one line naming the port and the option that sets it")
    void serverPortInUse_namesPortAndOption(final String option) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            final List<String> args = new ArrayList<>(List.of("server", "--data", "s", "--users", users.toString(),
                    "--port", "0", "--admin-port", "0", "--management-port", "0"));
            args.set(args.indexOf(option) + 1, Integer.toString(taken.getLocalPort()));
            final Run run = cpns(Map.of(), args.toArray(String[]::new));
            run.assertOneLine(RUNTIME, "port " + taken.getLocalPort(), option, "in use");
        }
    }

    @ParameterizedTest(name = "{0} in use")
    @CsvSource({"--pan-port", "--web-port", "--management-port"})
    @DisplayName("A gateway port already in use (PAN broker, approval page, metrics): one line naming port and option")
    void gatewayPortInUse_namesPortAndOption(final String option) throws Exception {
        Files.writeString(dir.resolve("token"), "some-token\n");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            final List<String> args = new ArrayList<>(List.of("gateway", "--data", "gw", "--cloud-token-file", "token",
                    "--approve", "web", "--pan-port", "0", "--web-port", "0", "--management-port", "0"));
            args.set(args.indexOf(option) + 1, Integer.toString(taken.getLocalPort()));
            final Run run = cpns(Map.of(), args.toArray(String[]::new));
            run.assertOneLine(RUNTIME, "port " + taken.getLocalPort(), option, "in use");
        }
    }

    @Test
    @DisplayName("A server started before any user exists: one line naming the users file and how to add one")
    void serverWithoutUsers_namesTheFileAndTheCommand() throws Exception {
        final Run run = cpns(Map.of(), "server", "--data", "empty", "--port", "0", "--admin-port", "-1",
                "--management-port", "-1");
        run.assertOneLine(RUNTIME, "no users yet", "empty/users.htdigest", "cpns user add");
    }

    @Test
    @DisplayName("PostgreSQL not listening: one line naming its address and the options that set it")
    void postgresUnreachable_namesAddressAndOption() throws Exception {
        final int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        final Run run = cpns(Map.of(), "server", "--data", "s", "--users", users.toString(), "--store", "postgres",
                "--pg-url", "postgresql://cpns@127.0.0.1:" + closed + "/cpns", "--port", "0", "--admin-port", "-1",
                "--management-port", "-1");
        run.assertOneLine(RUNTIME, "127.0.0.1:" + closed, "connection refused", "--pg-url");
    }

    @Test
    @DisplayName("The EUKey store's (PostgreSQL's) password is wrong: one line naming the user and the password option")
    void wrongStorePassword_namesUserAndOption() throws Exception {
        try (TestPostgres postgres = TestPostgres.startOrSkip()) {
            final PgStoreConfig db = postgres.newDatabase();
            final Path wrong = Files.writeString(dir.resolve("pg.pw"), "not-" + db.password().orElseThrow() + "\n");
            final Run run = cpns(Map.of(), "server", "--data", "s", "--users", users.toString(), "--store", "postgres",
                    "--pg-url", "postgresql://" + db.user() + "@" + db.host() + ":" + db.port() + "/" + db.database(),
                    "--pg-password-file", wrong.toString(), "--port", "0", "--admin-port", "-1", "--management-port", "-1");
            run.assertOneLine(RUNTIME, "refused the password", db.user(), "--pg-password-file");
            assertFalse(run.out().contains(db.password().get()), "no password printed");
        }
    }

    @Test
    @DisplayName("--verbose and CPNS_DEBUG=1 add the stack trace after the same line")
    void verboseAndDebug_addTheStackTrace() throws Exception {
        final String[] args = {"server", "--data", "empty", "--port", "0", "--admin-port", "-1", "--management-port", "-1"};
        final List<String> verbose = new ArrayList<>(List.of(args));
        verbose.add("--verbose");
        for (final Run run : List.of(cpns(Map.of(), verbose.toArray(String[]::new)), cpns(Map.of("CPNS_DEBUG", "1"), args))) {
            assertEquals(RUNTIME, run.code(), run.out());
            assertTrue(run.out().lines().anyMatch(l -> l.startsWith("cpns: ") && l.contains("no users yet")), run.out());
            assertTrue(run.out().contains("\tat org.cpnskeys."), "the trace: " + run.out());
        }
    }

    private static String[] split(final String args) {
        final List<String> out = new ArrayList<>();
        final java.util.regex.Matcher m = java.util.regex.Pattern.compile("'([^']*)'|(\\S+)").matcher(args.strip());
        while (m.find()) {
            out.add(m.group(1) != null ? m.group(1) : m.group(2));
        }
        return out.toArray(String[]::new);
    }

    private Run cpns(final Map<String, String> env, final String... args) throws IOException, InterruptedException {
        return cpns(List.of(), env, args);
    }

    /** Runs {@code deploy/bin/cpns ARGS} in the test's folder (after {@code prefix}, such as setpriv). */
    private Run cpns(final List<String> prefix, final Map<String, String> env, final String... args)
            throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>(prefix);
        command.add(LAUNCHER.toString());
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().keySet().removeIf(k -> k.startsWith("CPNS_"));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().putAll(env);
        final Path output = Files.createTempFile("cpns-mistake", ".out");
        try {
            final Process p = builder.redirectOutput(output.toFile()).start();
            if (!p.waitFor(90, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("cpns " + String.join(" ", args) + " still running after 90 s: "
                        + Files.readString(output, StandardCharsets.UTF_8));
            }
            return new Run(p.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /** What one run printed (standard output and error together) and its exit code. */
    private record Run(int code, String out) {
        List<String> errorLines() {
            return out.lines().filter(l -> l.startsWith("cpns: ")).toList();
        }

        String hint() {
            return out.lines().filter(l -> l.startsWith("hint: ")).findFirst().orElse("");
        }

        /** Exit code, exactly one {@code cpns:} line, it or the hint holding every {@code named}, at most one hint, no trace. */
        void assertOneLine(final int expectedCode, final String... named) {
            assertEquals(expectedCode, code, out);
            assertEquals(1, errorLines().size(), "one error line: " + out);
            for (final String n : named) {
                assertTrue((errorLines().get(0) + " " + hint()).contains(n), "names " + n + ": " + out);
            }
            assertTrue(out.lines().filter(l -> l.startsWith("hint: ")).count() <= 1, "at most one hint: " + out);
            assertFalse(out.contains("at org.") || out.contains("\tat ") || out.contains("Exception")
                    || out.contains("Caused by"), "no stack trace, no Java exception name: " + out);
        }
    }
}
