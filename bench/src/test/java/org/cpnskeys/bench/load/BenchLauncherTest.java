package org.cpnskeys.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.deploy.Cpns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import picocli.CommandLine;

/** The launcher, built before this module, still offers {@code cpns bench}: it finds it on the class path. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BenchLauncherTest {
    @Test
    void launcherHelp_withBenchOnTheClassPath_listsBench() {
        final String usage = run("--help");
        assertTrue(usage.lines().anyMatch(l -> l.strip().startsWith("bench ")), usage);
    }

    @Test
    void benchHelp_exitsZeroWithItsOptionsAndResultLine() {
        final java.io.PrintStream err = System.err;
        final java.io.ByteArrayOutputStream warnings = new java.io.ByteArrayOutputStream();
        final String usage;
        System.setErr(new java.io.PrintStream(warnings, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            usage = run("bench", "--help");
        } finally {
            System.setErr(err);
        }
        assertEquals("", warnings.toString(java.nio.charset.StandardCharsets.UTF_8), "picocli formats every description");
        assertTrue(usage.startsWith("Usage: cpns bench"), usage);
        assertTrue(usage.contains("--inflight") && usage.contains("--ceiling-duration"), usage);
        assertTrue(usage.contains("RESULT offered_per_s=<n> assignments_per_s=<n>"), usage);
        assertTrue(usage.contains("--rate") && usage.contains("--sweep") && usage.contains("--window"), usage);
    }

    private static String run(final String... args) {
        final CommandLine cli = Cpns.commandLine();
        final StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        assertEquals(0, cli.execute(args));
        return out.toString();
    }
}
