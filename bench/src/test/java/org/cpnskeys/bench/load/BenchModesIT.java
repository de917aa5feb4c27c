package org.cpnskeys.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.xml.parsers.DocumentBuilderFactory;

import org.cpnskeys.deploy.Cpns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cpns bench} end to end in its own JVM, as CI and a user run it: the open loop ({@code --rate}) and a
 * tiny {@code --sweep} (the whole system, the echo harness, interleaved windows) end with a RESULT line in the
 * documented format and no error, and the sweep's files exist and parse; {@code --processes} runs the roles in
 * JVMs of their own and reports the same line.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class BenchModesIT {
    private static final String[] SHORT = {"--warmup", "2s", "--ceiling-duration", "2s", "--window", "2s",
        "--inflight", "32", "--pnes", "4", "--timeout", "30s"};

    @TempDir
    Path dir;

    @Test
    void rate_offersTheScheduledRate_inAlternatingWindows_andEndsWithAResultLineWithoutErrors() throws Exception {
        // the echo relays on the second client (Vert.x's): the ceiling's windows must carry traffic too
        final List<String> out = bench("--rate", "100", "--duration", "4s", "--ceiling-client", "vertx");
        final Matcher m = result(out);
        assertEquals("100", m.group(1), "offered_per_s: 100/s on the schedule, every send made");
        assertTrue(Integer.parseInt(m.group(2)) > 0, "assignments_per_s");
        assertEquals("0", m.group(6), "errors");
        assertTrue(out.stream().anyMatch(l -> l.startsWith("  window 2: ceiling ")), String.join("\n", out));
        final Matcher ceiling = Pattern.compile("^ceiling: 2 windows, echo pairs/s min ([0-9]+) .*").matcher(out.stream()
                .filter(l -> l.startsWith("ceiling: ")).findFirst().orElse(""));
        assertTrue(ceiling.matches() && Integer.parseInt(ceiling.group(1)) > 0, String.join("\n", out));
        assertTrue(out.stream().noneMatch(l -> l.contains("echo requests")), String.join("\n", out));
    }

    @Test
    void sweep_writesACsvLinePerStep_andAnSvgThatParses() throws Exception {
        final Path plots = dir.resolve("plots");
        final List<String> out = bench("--sweep", plots.toString(), "--sweep-rates", "40,80", "--step-duration", "2s");
        final Matcher m = result(out);
        assertEquals("80", m.group(1), "the RESULT line is the last step's");
        assertEquals("0", m.group(6));
        final List<String> csv = Files.readAllLines(plots.resolve(Sweep.CSV));
        assertEquals(3, csv.size(), String.join("\n", csv));
        assertTrue(csv.get(0).startsWith("offered_per_s,assignments_per_s,p50_ms,p99_ms,p999_ms,"), csv.get(0));
        assertTrue(csv.get(1).startsWith("40,") && csv.get(2).startsWith("80,"), String.join("\n", csv));
        for (final String line : csv.subList(1, 3)) {
            for (final String field : line.split(",")) {
                Double.parseDouble(field);
            }
        }
        final var f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        final var svg = f.newDocumentBuilder().parse(plots.resolve(Sweep.SVG).toFile());
        assertEquals("svg", svg.getDocumentElement().getLocalName());
        assertEquals(6, svg.getElementsByTagNameNS("http://www.w3.org/2000/svg", "circle").getLength());
    }

    @Test
    void processes_runBrokerServerAndGatewayInJvmsOfTheirOwn_andReportTheSameResultLine() throws Exception {
        final List<String> out = bench("--processes", "--duration", "4s", "--data", dir.resolve("state").toString());
        final Matcher m = result(out);
        assertEquals("0", m.group(6), "errors");
        assertTrue(Integer.parseInt(m.group(2)) > 0, "assignments_per_s");
        for (final String role : List.of("broker", "server", "gateway")) {
            assertTrue(out.stream().anyMatch(l -> l.startsWith(role + " ready (pid ")), role + "\n" + String.join("\n", out));
            assertTrue(Files.exists(dir.resolve("state").resolve(role + ".log")), role + ".log");
        }
        assertTrue(out.stream().anyMatch(l -> l.startsWith("roles' CPU over the whole run")), String.join("\n", out));
    }

    private static Matcher result(final List<String> out) {
        final String last = out.isEmpty() ? "" : out.get(out.size() - 1);
        final Matcher m = Pattern.compile(Report.RESULT_PATTERN).matcher(last);
        assertTrue(m.matches(), "last line: " + last + "\n" + String.join("\n", out));
        return m;
    }

    /** Runs {@code cpns bench ARGS SHORT} in a JVM of its own; returns its output once it exited 0. */
    private List<String> bench(final String... args) throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx1g", "-cp", System.getProperty("java.class.path"), Cpns.class.getName(), "bench"));
        command.addAll(List.of(args));
        command.addAll(List.of(SHORT));
        final Path log = Files.createTempFile(dir, "bench-", ".log");
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(8, TimeUnit.MINUTES)) {
            p.destroyForcibly();
        }
        final List<String> out = Files.readAllLines(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join("\n", out));
        return out;
    }
}
