package org.cpnskeys.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import org.cpnskeys.protocol.UserId;

/** Our htdigest files and Apache's htdigest program (apache2-utils, run as a process) agree, byte for byte. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ApacheHtdigestIT {
    private static final String REALM = "cpns@example.org";
    private static final Path HTDIGEST = Path.of("/usr/bin/htdigest");

    @TempDir
    Path dir;

    /** Verifies that a file written by Apache's htdigest (a password with ':' included) is read by us. */
    @Test
    void read_fileWrittenByApacheHtdigest_givesTheSameHa1() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(HTDIGEST), "htdigest (apache2-utils) is not installed");
        final Path file = dir.resolve("apache.htdigest");
        runHtdigest(file, true, "alice", "pa:ss word");
        runHtdigest(file, false, "bob", "second");
        final HtdigestFile parsed = HtdigestFile.read(file);
        assertEquals(HtdigestFileTest.md5Hex("alice", REALM, "pa:ss word"),
                parsed.ha1(UserId.of("alice"), REALM).orElseThrow().hex());
        assertEquals(HtdigestFileTest.md5Hex("bob", REALM, "second"),
                parsed.ha1(UserId.of("bob"), REALM).orElseThrow().hex());
        // and our writer produces the very same bytes for the same entries
        final Path ours = dir.resolve("ours.htdigest");
        HtdigestFile.addOrReplace(ours, UserId.of("alice"), REALM, "pa:ss word".toCharArray());
        HtdigestFile.addOrReplace(ours, UserId.of("bob"), REALM, "second".toCharArray());
        assertEquals(Files.readString(file), Files.readString(ours));
    }

    private static void runHtdigest(final Path file, final boolean create, final String user, final String password)
            throws IOException, InterruptedException {
        final List<String> cmd = new ArrayList<>(List.of(HTDIGEST.toString()));
        if (create) {
            cmd.add("-c");
        }
        cmd.addAll(List.of(file.toString(), REALM, user));
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write((password + "\n" + password + "\n").getBytes(StandardCharsets.UTF_8));
        }
        final String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "htdigest did not finish");
        assertEquals(0, p.exitValue(), output);
    }
}
