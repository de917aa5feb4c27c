package org.cpnskeys.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import picocli.CommandLine;

/** Every command of the launcher has a working --help that documents its options. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CliHelpTest {
    @ParameterizedTest
    @ValueSource(strings = {"", "demo", "server", "server add-gateway", "server cluster-secrets", "server reseal", "server migrate-master-key", "gateway", "gateway enroll", "gateway devices",
            "gateway revoke", "gateway credentials", "gateway pan-tls", "pne", "broker", "user add", "user remove", "user list", "keys list",
            "keys revoke", "keys release"})
    void help_everyCommand_exitsZeroWithUsage(final String command) {
        final CommandLine cli = Cpns.commandLine();
        final StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        final String[] args = (command.isEmpty() ? "--help" : command + " --help").split(" ");
        assertEquals(0, cli.execute(args));
        assertTrue(out.toString().startsWith("Usage: cpns"), out.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"server", "gateway"})
    void help_roles_documentManagementEndpoint(final String command) {
        final CommandLine cli = Cpns.commandLine();
        final StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.execute(command, "--help");
        assertTrue(out.toString().contains("--management-port"), out.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"nonsense", "server --no-such-option", "pne"})
    void badInput_clearErrorNonZero(final String command) {
        final CommandLine cli = Cpns.commandLine();
        final StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        final int code = cli.execute(command.split(" "));
        assertTrue(code != 0);
        assertTrue(!err.toString().isBlank(), "an error message");
    }
}
