package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.UserId;
import org.cpnskeys.server.auth.HtdigestFile;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --log-format json}: a real {@code cpns server} process, configured by the launcher's own logback.xml,
 * writes one JSON object per line, and no secret of the server (master and nonce keys, broker secret, admin token,
 * users' digests and passwords) appears in them.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JsonLogFormatIT {
    @TempDir
    Path dir;

    @Test
    @DisplayName("cpns server --log-format json: every log line is a JSON object with time, level, logger and message, and carries no secret")
    void server_jsonLogFormat_linesParseAndCarryNoSecret() throws Exception {
        final Path data = dir.resolve("server");
        final String alicePassword = "alice-pw-" + System.nanoTime();
        HtdigestFile.addOrReplace(data.resolve("users.htdigest"), UserId.of("alice"), "cpns", alicePassword.toCharArray());
        final URL config = getClass().getClassLoader().getResource("logback.xml");
        assertNotNull(config, "the launcher's logback.xml on the class path");
        final int adminPort = freePort();
        final Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dlogback.configurationFile=" + config, "-cp", System.getProperty("java.class.path"),
                "org.cpnskeys.deploy.Cpns", "server", "--log-format", "json", "--data", data.toString(), "--port", "0",
                "--management-port", "-1", "--admin-port", Integer.toString(adminPort)).start();
        final List<String> lines = new CopyOnWriteArrayList<>();
        final CountDownLatch ready = new CountDownLatch(1);
        final CountDownLatch userAdded = new CountDownLatch(1);
        final Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                    if (line.contains("CPNS Server ready")) {
                        ready.countDown();
                    }
                    if (line.contains("admin: user bob added")) {
                        userAdded.countDown();
                    }
                }
            } catch (java.io.IOException e) {
                // the process ended
            }
        }, "server-output");
        reader.setDaemon(true);
        reader.start();
        final String bobPassword = "bob-pw-" + System.nanoTime();
        try {
            assertTrue(ready.await(90, TimeUnit.SECONDS), "the server started: " + lines);
            final String token = Files.readString(data.resolve("admin.token")).strip();
            final HttpResponse<String> added = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + adminPort + "/admin/users/bob"))
                    .header("Authorization", "Bearer " + token)
                    .PUT(HttpRequest.BodyPublishers.ofString(new JsonObject().put("password", bobPassword).encode()))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(201, added.statusCode(), added.body());
            assertTrue(userAdded.await(30, TimeUnit.SECONDS), "the admin action logged: " + lines);
        } finally {
            p.destroy();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            reader.join(10_000);
        }
        final List<String> logLines = lines.stream().filter(l -> !l.startsWith("admin API on") && !l.startsWith("health")
                && !l.startsWith("cloud broker TLS on")).toList();
        assertTrue(logLines.size() >= 4, lines.toString());
        for (final String line : logLines) {
            final JsonObject o = new JsonObject(line); // fails the test if a line is not one JSON object
            assertTrue(o.getLong("timestamp") > 0, line);
            assertTrue(List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR").contains(o.getString("level")), line);
            assertTrue(o.getString("loggerName").startsWith("org.cpnskeys") || o.getString("loggerName").contains("."), line);
            assertNotNull(o.getString("formattedMessage"), line);
        }
        final String all = String.join("\n", logLines);
        assertTrue(all.contains("admin: user bob added") && all.contains("CPNS Server ready"), all);
        final List<String> secrets = new java.util.ArrayList<>(List.of(alicePassword, bobPassword,
                Files.readString(data.resolve("admin.token")).strip()));
        for (final String file : List.of("master.key", "nonce.key", "cloud-server.secret")) {
            final byte[] b = Files.readAllBytes(data.resolve(file));
            secrets.add(HexFormat.of().formatHex(b));
            secrets.add(Base64.getEncoder().withoutPadding().encodeToString(b));
            secrets.add(Base64.getUrlEncoder().withoutPadding().encodeToString(b));
        }
        for (final String line : Files.readAllLines(data.resolve("users.htdigest"))) {
            secrets.add(line.substring(line.lastIndexOf(':') + 1));
        }
        for (final String s : secrets) {
            assertFalse(all.contains(s), "a secret in the log");
        }
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
