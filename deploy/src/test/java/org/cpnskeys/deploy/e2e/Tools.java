package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Assumptions;

/** Runs programs nobody here wrote (Debian's mosquitto clients, openssl) from the tests, with bounded waits. */
final class Tools {
    private static final AtomicInteger RUNS = new AtomicInteger();

    /** What a finished program left. */
    record Result(int exit, String stdout, String stderr) {
        boolean ok() {
            return exit == 0;
        }

        @Override
        public String toString() {
            return "exit " + exit + (stdout.isBlank() ? "" : ", stdout: " + stdout.strip())
                    + (stderr.isBlank() ? "" : ", stderr: " + stderr.strip());
        }
    }

    private Tools() {
    }

    /**
     * Makes sure the programs are on the PATH: when one is missing the calling test fails with a clear message if
     * the environment variable {@code requireVariable} is {@code 1} (CI sets it), and is skipped otherwise.
     */
    static void require(final String requireVariable, final String debianPackages, final String... programs) {
        final List<String> missing = List.of(programs).stream().filter(p -> find(p) == null).collect(Collectors.toList());
        if (missing.isEmpty()) {
            return;
        }
        final String message = "missing " + String.join(", ", missing) + " (Debian: apt-get install " + debianPackages
                + ")";
        if ("1".equals(System.getenv(requireVariable))) {
            fail(message + "; " + requireVariable + "=1 requires them");
        }
        Assumptions.abort(message + "; set " + requireVariable + "=1 to make this a failure");
    }

    private static Path find(final String program) {
        final String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (final String dir : path.split(File.pathSeparator)) {
            final Path candidate = Path.of(dir, program);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /** Runs {@code command} with its output in files under {@code work}; kills it after {@code max}. */
    static Result run(final Path work, final Duration max, final List<String> command)
            throws IOException, InterruptedException {
        final int n = RUNS.incrementAndGet();
        final Path out = work.resolve("run-" + n + ".out");
        final Path err = work.resolve("run-" + n + ".err");
        final Process process = new ProcessBuilder(command).directory(work.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(max.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            return new Result(-1, Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8) + " [killed after " + max + "]");
        }
        return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }
}
