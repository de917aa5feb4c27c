package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.deploy.Cpns;
import org.cpnskeys.deploy.ServerProcess;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.server.auth.HtdigestFile;
import org.cpnskeys.server.store.PgStoreConfig;
import org.cpnskeys.server.store.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/**
 * {@code cpns server --store postgres} and TLS, as an operator runs it: with {@code --pg-ca-file} a server JVM
 * reaches the real PostgreSQL (.ci/postgres: TLS on, a test CA) over verify-full and gets ready; asked for a
 * store on a host that is not a loopback address without TLS, it refuses to start, before connecting, saying
 * what to do.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ServerStoreTlsIT {
    @TempDir
    Path dir;

    @Test
    void server_storeWithCaFile_readyOverVerifyFull() throws Exception {
        try (TestPostgres postgres = TestPostgres.startOrSkip()) {
            final Path ca = TestPostgres.tlsCaOrSkip();
            final PgStoreConfig db = postgres.newDatabase();
            final Path data = dir.resolve("server");
            HtdigestFile.addOrReplace(data.resolve("users.htdigest"), UserId.of("alice"), "cpns", "pw".toCharArray());
            final Path password = dir.resolve("pg.password");
            Files.writeString(password, db.password().orElseThrow() + "\n", StandardCharsets.UTF_8);
            // by the name in the certificate, not by the address the test fixture uses
            final ServerProcess server = ServerProcess.start("server-tls", System.getProperty("java.class.path"),
                    List.of("-Xmx256m"), List.of("--data", data.toString(), "--port", "0", "--store", "postgres",
                            "--pg-url", "postgresql://" + db.user() + "@localhost:" + db.port() + "/" + db.database(),
                            "--pg-password-file", password.toString(), "--pg-ca-file", ca.toString(),
                            "--management-port", "-1", "--admin-port", "-1"),
                    dir.resolve("server.log"), Duration.ofSeconds(120));
            try {
                assertTrue(server.output().stream().anyMatch(l -> l.contains("EUKey store opened")
                        && l.contains("TLS verify-full")), server.tail(30));
            } finally {
                server.stop(Duration.ofSeconds(20));
            }
        }
    }

    @Test
    void server_remoteStoreWithoutTls_refusedAtStartSayingWhatToDo() {
        final StringWriter err = new StringWriter();
        final CommandLine cli = Cpns.commandLine();
        cli.setOut(new PrintWriter(new StringWriter()));
        cli.setErr(new PrintWriter(err));
        final long t0 = System.nanoTime();
        final int code = cli.execute("server", "--data", dir.resolve("server").toString(), "--store", "postgres",
                "--pg-host", "192.0.2.10", "--management-port", "-1", "--admin-port", "-1");
        assertNotEquals(0, code);
        assertTrue(err.toString().contains("not on a loopback address") && err.toString().contains("--pg-ca-file")
                && err.toString().contains("--pg-ssl-mode disable"), err.toString());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10), "refused before any connection attempt");
    }
}
