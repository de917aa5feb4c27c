package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.vertx.core.Future;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.deploy.Cpns;
import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.server.OperationsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's commands on a running server, end to end: {@code cpns keys list|revoke|release} and
 * {@code cpns user add|remove|list} run as the CLI runs them, against a server whose admin API listens on
 * loopback, while a PN GW (played by the test) sends Key Requests on the cloud broker.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class AdminCommandsIT {
    @TempDir
    static Path dir;
    static CloudGatewaySystem system;
    static Fixture f;
    static CloudGatewayClient gw;
    static String adminUrl;
    private static final AtomicInteger SEQ = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        system = CloudGatewaySystem.start(new Fixture(dir,
                LocalSystem.Options.defaults().withServerOperations(OperationsConfig.adminOnLoopback(0)),
                (realm, why) -> Future.succeededFuture(Optional.empty())), "admin-test-gw");
        f = system.f;
        gw = system.gw;
        adminUrl = "http://127.0.0.1:" + f.system.server().adminPort().orElseThrow();
    }

    @AfterAll
    static void stop() {
        if (system != null) {
            system.close();
        }
    }

    /** What one CLI run printed and returned. */
    record Run(int code, String out, String err) {
    }

    /** Runs {@code cpns args...} (plus the admin URL and data folder) as the launcher would, capturing its output. */
    static Run cpns(final String stdin, final String... args) {
        return cpns(serverDir(), adminUrl, stdin, args);
    }

    /** {@link #cpns(String, String...)} against the server with these data folder and admin API. */
    static synchronized Run cpns(final Path serverDir, final String adminUrl, final String stdin,
            final String... args) {
        final List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--admin-url", adminUrl));
        if (args[0].equals("keys")) {
            all.addAll(List.of("--data", serverDir.toString()));
        } else {
            all.addAll(List.of("--file", serverDir.resolve("users.htdigest").toString()));
        }
        final PrintStream out = System.out;
        final PrintStream err = System.err;
        final InputStream in = System.in;
        final ByteArrayOutputStream o = new ByteArrayOutputStream();
        final ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            final int code = Cpns.commandLine().execute(all.toArray(String[]::new));
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
            System.setIn(in);
        }
    }

    static Path serverDir() {
        return f.system.dir().resolve("server");
    }

    /** A full proxy exchange for {@code user}: request, challenge, digest answer; returns the final reply. */
    static JsonObject assign(final String entity, final String requestId, final String user, final char[] password)
            throws Exception {
        final Ha1 ha1 = DigestClient.ha1(user, "cpns", password);
        final JsonObject request = CloudGatewayClient.request(EntityId.of(entity), requestId, user, true);
        gw.send(request);
        final CloudGatewayClient.Reply challenge = gw.awaitFor(requestId);
        assertEquals("challenge", challenge.leaf());
        gw.send(CloudGatewayClient.answered(request, "cpns", challenge.json().getString("nonce"), "00000001",
                "cnonce-admin-" + SEQ.incrementAndGet(), ha1));
        return gw.awaitFor(requestId).json();
    }

    static JsonObject alice(final String entity, final String requestId) throws Exception {
        return assign(entity, requestId, "alice", f.system.password());
    }

    static List<JsonObject> auditLines() throws Exception {
        final List<JsonObject> lines = new ArrayList<>();
        for (final String l : Files.readAllLines(serverDir().resolve("audit.jsonl"))) {
            lines.add(new JsonObject(l));
        }
        return lines;
    }

    @Test
    @DisplayName("cpns keys revoke on a running server: the key is REVOKED, a retry of its request is refused, the owner's next Key Request gets a new key")
    void keysRevoke_runningServer_revokedAndOwnerGetsNewKey() throws Exception {
        final JsonObject first = alice("adm-rev", "rev-r1");
        assertEquals(200, first.getInteger("status"));
        final Run revoke = cpns("", "keys", "revoke", "--entity", "adm-rev");
        assertEquals(0, revoke.code(), revoke.err());
        assertTrue(revoke.out().contains("revoked: entity adm-rev, user alice, key id " + first.getString("keyId")),
                revoke.out());
        assertEquals(Optional.empty(), f.serverKcv("adm-rev"), "no active key after revoke");

        final Run list = cpns("", "keys", "list", "--entity", "adm-rev");
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().contains(first.getString("keyId")) && list.out().contains("REVOKED"), list.out());

        final JsonObject retry = alice("adm-rev", "rev-r1");
        assertEquals(403, retry.getInteger("status"));
        assertTrue(retry.getString("reason").contains("revoked"), retry.encode());

        final JsonObject next = alice("adm-rev", "rev-r2");
        assertEquals(200, next.getInteger("status"));
        assertNotEquals(first.getString("keyId"), next.getString("keyId"));
        assertTrue(f.serverKcv("adm-rev").isPresent());

        final Run again = cpns("", "keys", "revoke", "--entity", "adm-none");
        assertEquals(3, again.code());
        assertTrue(again.err().contains("adm-none has no active key"), again.err());
    }

    @Test
    @DisplayName("cpns keys release and cpns user add on a running server: another user, refused with 409 before, claims the released entity")
    void keysRelease_runningServer_anotherUserClaimsEntity() throws Exception {
        assertEquals(200, alice("adm-rel", "rel-r1").getInteger("status"));
        final Run add = cpns("bob-secret-pw\n", "user", "add", "--password-stdin", "bob");
        assertEquals(0, add.code(), add.err());
        assertTrue(add.out().contains("user bob added on the running server"), add.out());
        final char[] bob = "bob-secret-pw".toCharArray();
        assertEquals(409, assign("adm-rel", "rel-b1", "bob", bob).getInteger("status"), "live at once, and not bob's yet");

        final Run release = cpns("", "keys", "release", "--entity", "adm-rel");
        assertEquals(0, release.code(), release.err());
        assertTrue(release.out().contains("released: entity adm-rel, user alice"), release.out());

        final JsonObject claimed = assign("adm-rel", "rel-b2", "bob", bob);
        assertEquals(200, claimed.getInteger("status"), claimed.encode());
        assertEquals("bob", claimed.getString("userId"));
        assertEquals(409, alice("adm-rel", "rel-r2").getInteger("status"), "now it is bob's");
    }

    @Test
    @DisplayName("cpns user list and remove on a running server: a removed user's next Key Request fails authentication")
    void userRemove_runningServer_removedUserRefused() throws Exception {
        assertEquals(0, cpns("carol-pw\n", "user", "add", "--password-stdin", "carol").code());
        final Run listed = cpns("", "user", "list");
        assertTrue(listed.out().lines().anyMatch("carol"::equals), listed.out());
        assertEquals(200, assign("adm-carol", "carol-r1", "carol", "carol-pw".toCharArray()).getInteger("status"));

        final Run remove = cpns("", "user", "remove", "carol");
        assertEquals(0, remove.code(), remove.err());
        assertFalse(cpns("", "user", "list").out().lines().anyMatch("carol"::equals));
        assertEquals(401, assign("adm-carol", "carol-r2", "carol", "carol-pw".toCharArray()).getInteger("status"));
        assertEquals(3, cpns("", "user", "remove", "carol").code(), "no such user any more");
    }

    @Test
    @DisplayName("the admin API: token owner-only, wrong tokens refused with JSON reasons and locked out with 429 and Retry-After")
    void adminApi_wrongTokens_refusedThenLockedOut() throws Exception {
        final Path tokenFile = f.system.server().adminTokenFile();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)));
        final java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        final HttpRequest none = HttpRequest.newBuilder(URI.create(adminUrl + "/admin/keys")).GET().build();
        final HttpResponse<String> r0 = http.send(none, HttpResponse.BodyHandlers.ofString());
        assertEquals(401, r0.statusCode());
        assertEquals("unauthorized", new JsonObject(r0.body()).getString("error"));
        assertEquals(java.net.http.HttpClient.Version.HTTP_1_1, r0.version(),
                "the JDK client's cleartext HTTP/2 upgrade (h2c) is declined: the admin API speaks HTTP/1.1");
        // from another client address (127.0.0.2), so the lockout does not lock the other tests' CLI out
        final HttpClient other = f.vertx.createHttpClient(new HttpClientOptions().setLocalAddress("127.0.0.2"));
        final int port = f.system.server().adminPort().orElseThrow();
        HttpClientResponse last = null;
        String lastBody = null;
        for (int i = 0; i < 11; i++) {
            final int n = i;
            final HttpClientResponse[] resp = new HttpClientResponse[1];
            lastBody = Fixture.await(onOneContext(() -> other.request(HttpMethod.GET, port, "127.0.0.1", "/admin/keys")
                    .compose(req -> req.putHeader("Authorization", "Bearer wrong-" + n).send())
                    .compose(res -> {
                        resp[0] = res;
                        return res.body();
                    }))).toString();
            last = resp[0];
        }
        assertEquals(429, last.statusCode(), lastBody);
        assertTrue(Integer.parseInt(last.getHeader("Retry-After")) > 0);
        final JsonObject body = new JsonObject(lastBody);
        assertTrue(body.getString("reason").contains("too many failed admin authentications"), body.encode());
        assertTrue(body.getLong("retryAfter") > 0);
        final String token = Files.readString(tokenFile).strip();
        assertEquals(429, Fixture.await(onOneContext(() -> other.request(HttpMethod.GET, port, "127.0.0.1", "/admin/keys")
                .compose(req -> req.putHeader("Authorization", "Bearer " + token).send())
                .compose(res -> res.body().map(b -> res.statusCode())))).intValue(),
                "locked out even with the right token");
        assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(adminUrl + "/admin/keys"))
                .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString())
                .statusCode(), "while 127.0.0.1 still gets in");
        final HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create(adminUrl + "/admin/keys/a%2Fb/revoke"))
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, bad.statusCode(), bad.body());
        assertEquals("bad_request", new JsonObject(bad.body()).getString("error"));
    }

    /**
     * Runs a Vert.x HTTP client exchange on one event-loop context. Called from the test's thread, the response's
     * body() could race with the connection ending it, and the body future then never completed (Vert.x 5.0.7,
     * eclipse-vertx/vert.x#6038, fixed in a later 5.0.x): CI met it as a 60-second timeout here, and a loop of
     * 300 x 11 requests met it within 20 rounds, none of them on one context.
     */
    private <T> Future<T> onOneContext(final java.util.function.Supplier<Future<T>> exchange) {
        final io.vertx.core.Promise<T> done = io.vertx.core.Promise.promise();
        f.vertx.getOrCreateContext().runOnContext(v -> exchange.get().onComplete(done));
        return done.future();
    }

    @Test
    @DisplayName("every admin action is in the audit log as a JSON line (time, actor, action, entity, user, outcome), never a token, password or digest")
    void auditLog_adminActions_recordedWithoutSecrets() throws Exception {
        assertEquals(200, alice("adm-audit", "aud-r1").getInteger("status"));
        assertEquals(0, cpns("", "keys", "revoke", "--entity", "adm-audit").code());
        assertEquals(0, cpns("dave-pw-123\n", "user", "add", "--password-stdin", "dave").code());
        final String token = Files.readString(f.system.server().adminTokenFile()).strip();
        final String htdigest = Files.readString(serverDir().resolve("users.htdigest"));
        Fixture.eventually(java.time.Duration.ofSeconds(10), "admin actions in the audit log", () -> {
            try {
                return auditLines().stream().anyMatch(l -> "user-add".equals(l.getString("action"))
                        && "dave".equals(l.getString("user")));
            } catch (Exception e) {
                return false;
            }
        });
        final List<JsonObject> lines = auditLines();
        final JsonObject revoke = lines.stream().filter(l -> "revoke".equals(l.getString("action"))
                && "adm-audit".equals(l.getString("entity"))).findFirst().orElseThrow();
        assertEquals("done", revoke.getString("outcome"));
        assertEquals("alice", revoke.getString("user"));
        assertTrue(revoke.getString("actor").startsWith("admin-token@"), revoke.encode());
        assertTrue(revoke.containsKey("time"));
        final String all = String.join("\n", Files.readAllLines(serverDir().resolve("audit.jsonl")));
        assertFalse(all.contains(token), "no admin token");
        assertFalse(all.contains("dave-pw-123"), "no password");
        for (final String line : htdigest.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            assertFalse(all.contains(line.substring(line.lastIndexOf(':') + 1)), "no digest");
        }
    }
}
