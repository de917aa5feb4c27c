package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import io.vertx.core.json.JsonObject;

import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.gateway.approval.ApprovalRequest;
import org.cpnskeys.gateway.approval.PageApproval;
import org.cpnskeys.gateway.web.LoginThrottle;
import org.cpnskeys.gateway.web.WebPageConfig;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.RequestId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The approval page's defences at the HTTP level (no browser): CSRF on every state change, login throttling, the
 * session cookie's flags, no secret in any answer, loopback-only HTTPS with the gateway's own certificate.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ApprovalPageSecurityIT {
    @TempDir
    static Path dir;
    static Fixture fixture;
    static String base;
    static String secret;

    @BeforeAll
    static void start() throws Exception {
        fixture = new Fixture(dir, LocalSystem.Options.defaults(), WebPageConfig.loopback(0));
        base = fixture.page.orElseThrow().url().orElseThrow();
        secret = Files.readString(fixture.page.get().secretFile().orElseThrow(), StandardCharsets.UTF_8).strip();
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    /** A browser-like client: its own cookie jar, trusting only the gateway's PAN CA. */
    private static final class Client {
        final HttpClient http;
        String csrf;

        Client() throws Exception {
            final KeyStore ts = KeyStore.getInstance("PKCS12");
            ts.load(null, null);
            ts.setCertificateEntry("pan-ca", CertificateFactory.getInstance("X.509").generateCertificate(
                    new ByteArrayInputStream(fixture.system.gateway().certificateAuthority().caCertificatePem()
                            .getBytes(StandardCharsets.US_ASCII))));
            final TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ts);
            final SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, tmf.getTrustManagers(), null);
            http = HttpClient.newBuilder().sslContext(tls).cookieHandler(new CookieManager())
                    .connectTimeout(Duration.ofSeconds(10)).build();
        }

        HttpResponse<String> get(final String path) throws Exception {
            return http.send(HttpRequest.newBuilder(URI.create(base).resolve(path)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> post(final String path, final JsonObject body, final Optional<String> token,
                final Optional<String> origin) throws Exception {
            final HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base).resolve(path))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
            token.ifPresent(t -> b.header("X-CSRF-Token", t));
            origin.ifPresent(o -> b.header("Origin", o));
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> post(final String path, final JsonObject body) throws Exception {
            return post(path, body, Optional.ofNullable(csrf), Optional.empty());
        }

        Client session() throws Exception {
            csrf = new JsonObject(get("/api/session").body()).getString("csrf");
            return this;
        }

        Client loggedIn() throws Exception {
            session();
            final HttpResponse<String> r = post("/api/login", new JsonObject().put("secret", secret));
            assertEquals(200, r.statusCode(), r.body());
            csrf = new JsonObject(r.body()).getString("csrf");
            return this;
        }
    }

    private static RequestId pendingRequest(final String entity) {
        final RequestId id = RequestId.of("sec-" + entity);
        final PageApproval approval = fixture.page.orElseThrow().pageApproval();
        approval.decide(new ApprovalRequest(id, EntityId.of(entity), true, Optional.of("test"), "0000-0000-0000-0000",
                Instant.now().plus(Duration.ofMinutes(1))));
        return id;
    }

    private static boolean isPending(final RequestId id) {
        return fixture.page.orElseThrow().pageApproval().pending().stream().anyMatch(r -> r.requestId().equals(id));
    }

    @Test
    @DisplayName("CSRF: Approve without the session's token, with a wrong one or from another origin is refused (403)")
    void approve_withoutOrWrongCsrfTokenOrForeignOrigin_403AndStillPending() throws Exception {
        final Client c = new Client().loggedIn();
        final RequestId id = pendingRequest("csrf-target");
        final String path = "/api/requests/" + id + "/approve";
        assertEquals(403, c.post(path, new JsonObject(), Optional.empty(), Optional.empty()).statusCode());
        assertEquals(403, c.post(path, new JsonObject(), Optional.of("forged-token"), Optional.empty()).statusCode());
        assertEquals(403, c.post(path, new JsonObject(), Optional.of(c.csrf), Optional.of("https://evil.example"))
                .statusCode());
        final Client other = new Client().loggedIn();
        assertEquals(403, c.post(path, new JsonObject(), Optional.of(other.csrf), Optional.empty()).statusCode(),
                "another session's token is not this session's");
        assertTrue(isPending(id), "no refused request changed anything");

        final HttpResponse<String> ok = c.post(path, new JsonObject(), Optional.of(c.csrf), Optional.of(base.replaceAll("/$", "")));
        assertEquals(200, ok.statusCode(), ok.body());
        assertFalse(isPending(id));
        assertEquals(409, c.post(path, new JsonObject()).statusCode(), "a decided request is no longer pending");
    }

    @Test
    @DisplayName("Remove this device: refused without the CSRF token or a login (403); with them, the owner's release of a delivered device (key RELEASED)")
    void removeThisDevice_csrfProtected_thenReleasesTheDevicesKey() throws Exception {
        final String entity = "page-rel-bulb";
        final io.vertx.core.Future<org.cpnskeys.pne.PneOutcome> pne = org.cpnskeys.pne.PneApplication.requestKey(
                fixture.vertx, fixture.pneConfig(entity, Optional.empty()));
        Fixture.eventually(Duration.ofSeconds(30), "the request waits on the page", () -> fixture.page.orElseThrow()
                .pageApproval().pending().stream().anyMatch(r -> r.entityId().value().equals(entity)));
        final Client c = new Client().loggedIn();
        final RequestId id = fixture.page.get().pageApproval().pending().stream()
                .filter(r -> r.entityId().value().equals(entity)).findFirst().orElseThrow().requestId();
        assertEquals(200, c.post("/api/requests/" + id + "/approve", new JsonObject()).statusCode());
        assertTrue(Fixture.await(pne).stored());

        final String path = "/api/devices/" + entity + "/release";
        assertEquals(403, c.post(path, new JsonObject(), Optional.empty(), Optional.empty()).statusCode());
        assertEquals(403, c.post(path, new JsonObject(), Optional.of(c.csrf), Optional.of("https://evil.example"))
                .statusCode());
        final Client anonymous = new Client().session();
        assertEquals(401, anonymous.post(path, new JsonObject()).statusCode(), "not logged in");
        assertTrue(fixture.serverKcv(entity).isPresent(), "nothing released by the refused calls");

        final HttpResponse<String> released = c.post(path, new JsonObject());
        assertEquals(200, released.statusCode(), released.body());
        assertEquals(200, new JsonObject(released.body()).getInteger("status"), released.body());
        assertEquals(Optional.empty(), fixture.serverKcv(entity), "the device's key is released at the server");
        final JsonObject again = new JsonObject(c.post(path, new JsonObject()).body());
        assertEquals(404, again.getInteger("status"), "nothing left to release: " + again.encode());
    }

    @Test
    @DisplayName("CSRF: login, logout and credential changes without the token are refused (403)")
    void stateChanges_withoutCsrfToken_403() throws Exception {
        final Client fresh = new Client().session();
        assertEquals(403, fresh.post("/api/login", new JsonObject().put("secret", secret), Optional.empty(),
                Optional.empty()).statusCode(), "login CSRF");
        final Client c = new Client().loggedIn();
        assertEquals(403, c.post("/api/credentials", new JsonObject().put("userId", "mallory").put("password", "x"),
                Optional.empty(), Optional.empty()).statusCode());
        assertEquals(403, c.post("/api/credentials/remove", new JsonObject(), Optional.empty(), Optional.empty())
                .statusCode());
        assertTrue(fixture.system.gateway().credentials().current().isPresent(), "credentials untouched");
        assertEquals(403, c.post("/api/logout", new JsonObject(), Optional.empty(), Optional.empty()).statusCode());
        assertEquals(200, c.get("/api/state").statusCode(), "still logged in");
    }

    @Test
    @DisplayName("Login: after repeated wrong secrets, even the right secret is refused (429, Retry-After) for a while")
    void login_repeatedWrongSecrets_throttled429EvenForRightSecret(@TempDir final Path own) throws Exception {
        // its own gateway: the lockout must not reach the other tests
        final Fixture shared = fixture;
        final String sharedBase = base;
        final String sharedSecret = secret;
        try (Fixture f = new Fixture(own, LocalSystem.Options.defaults(), WebPageConfig.loopback(0))) {
            fixture = f;
            base = f.page.orElseThrow().url().orElseThrow();
            secret = Files.readString(f.page.get().secretFile().orElseThrow(), StandardCharsets.UTF_8).strip();
            throttled();
        } finally {
            fixture = shared;
            base = sharedBase;
            secret = sharedSecret;
        }
    }

    private static void throttled() throws Exception {
        final Client c = new Client().session();
        for (int i = 0; i < LoginThrottle.FREE_FAILURES; i++) {
            final HttpResponse<String> r = c.post("/api/login", new JsonObject().put("secret", "guess-" + i));
            assertEquals(401, r.statusCode(), r.body());
            assertFalse(r.body().contains(secret));
        }
        final HttpResponse<String> throttled = c.post("/api/login", new JsonObject().put("secret", secret));
        assertEquals(429, throttled.statusCode(), throttled.body());
        final long retryAfter = Long.parseLong(throttled.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(retryAfter >= 1 && retryAfter <= LoginThrottle.FIRST_LOCKOUT.toSeconds(), "Retry-After " + retryAfter);
        assertEquals(401, c.get("/api/state").statusCode(), "not logged in");
    }

    @Test
    @DisplayName("Session: unauthenticated API calls get 401; the cookie is Secure, HttpOnly, SameSite=Strict; no secret in answers")
    void api_unauthenticated401_cookieFlagsStrict_noSecretInAnswers() throws Exception {
        final Client c = new Client();
        final HttpResponse<String> session = c.get("/api/session");
        final String cookie = session.headers().firstValue("Set-Cookie").orElseThrow();
        final String flags = cookie.toLowerCase(java.util.Locale.ROOT);
        assertTrue(flags.contains("; secure") && flags.contains("; httponly") && flags.contains("samesite=strict"), cookie);
        assertEquals(401, c.get("/api/state").statusCode());
        assertEquals(401, c.get("/api/events").statusCode());
        c.session();
        final HttpResponse<String> wrong = c.post("/api/login", new JsonObject().put("secret", "nope"));
        assertEquals(401, wrong.statusCode());

        c.loggedIn();
        final HttpResponse<String> state = c.get("/api/state");
        assertEquals(200, state.statusCode());
        final String pw = new String(fixture.system.password());
        final String ha1 = fixture.system.gateway().credentials().current().orElseThrow().ha1().hex();
        for (final HttpResponse<String> r : new HttpResponse[] {session, state, c.get("/"), c.get("/app.js")}) {
            assertFalse(r.body().contains(secret), "admin secret in " + r.uri());
            assertFalse(r.body().contains(pw), "password in " + r.uri());
            assertFalse(r.body().contains(ha1), "HA1 in " + r.uri());
        }
    }

    @Test
    @DisplayName("Headers: every answer (page, asset, API, refusal) has the strict CSP, a year of HSTS, DENY framing, nosniff, no referrer, no caching")
    void everyAnswer_pageAssetApiAndRefusal_carriesEachSecurityHeaderWithItsExactValue() throws Exception {
        final Map<String, String> expected = Map.of(
                "Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
                        + " connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
                "Strict-Transport-Security", "max-age=31536000",
                "X-Frame-Options", "DENY",
                "X-Content-Type-Options", "nosniff",
                "Referrer-Policy", "no-referrer",
                "Cache-Control", "no-store");
        final Client c = new Client();
        final List<HttpResponse<String>> answers = List.of(c.get("/"), c.get("/app.js"), c.get("/api/session"),
                c.get("/api/state"), c.post("/api/login", new JsonObject().put("secret", secret)),
                c.get("/no-such-file"));
        assertEquals(List.of(200, 200, 200, 401, 403, 404), answers.stream().map(HttpResponse::statusCode).toList());
        for (final HttpResponse<String> r : answers) {
            expected.forEach((name, value) -> assertEquals(List.of(value), r.headers().allValues(name),
                    name + " of " + r.request().method() + " " + r.uri()));
        }
    }

    @Test
    @DisplayName("Page: HTTPS on loopback with a certificate from the gateway's PAN CA; assets from the jar, strict CSP")
    void page_loopbackHttpsOwnCertificate_assetsLocalStrictCsp() throws Exception {
        assertTrue(base.startsWith("https://localhost:"), base);
        assertEquals("127.0.0.1", fixture.page.orElseThrow().config().bindAddress());
        final Client c = new Client();
        final HttpResponse<String> index = c.get("/");
        assertEquals(200, index.statusCode());
        final String csp = index.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertTrue(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"), csp);
        assertEquals("DENY", index.headers().firstValue("X-Frame-Options").orElseThrow());
        for (final String asset : new String[] {"/", "/app.js", "/app.css"}) {
            final String body = c.get(asset).body();
            assertFalse(body.matches("(?s).*(src|href)=\"(https?:)?//.*"), "external reference in " + asset);
            assertFalse(body.contains("url(http"), "external reference in " + asset);
        }
        assertTrue(index.body().contains("name=\"viewport\""), "usable on a phone");
    }
}
