package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.gateway.pan.DeviceRegister;
import org.cpnskeys.gateway.web.WebPageConfig;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.tls.Pem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The owner enrols devices on the gateway's page (HTTP, no browser): CSRs uploaded in one request come back as
 * certificates of the gateway's PAN CA, each bad one refused with its reason, all recorded in the device register
 * the running gateway uses; and the upload is behind the page's login and CSRF protection like every change.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ApprovalPageEnrolmentIT {
    private static final String ENROL = "/api/devices/enroll";
    @TempDir
    static Path dir;
    static Fixture fixture;
    static URI base;
    static String secret;

    @BeforeAll
    static void start() throws Exception {
        fixture = new Fixture(dir, LocalSystem.Options.defaults(), WebPageConfig.loopback(0));
        base = URI.create(fixture.page.orElseThrow().url().orElseThrow());
        secret = Files.readString(fixture.page.get().secretFile().orElseThrow(), StandardCharsets.UTF_8).strip();
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    /** One browser session: a cookie jar, trusting only the gateway's PAN CA, and the session's CSRF token. */
    private static final class Session {
        final HttpClient http;
        String token;

        Session() throws Exception {
            final KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("pan", fixture.system.gateway().certificateAuthority().caCertificate());
            final TrustManagerFactory tm = TrustManagerFactory.getInstance("PKIX");
            tm.init(trust);
            final SSLContext tls = SSLContext.getInstance("TLSv1.3");
            tls.init(null, tm.getTrustManagers(), null);
            http = HttpClient.newBuilder().sslContext(tls).cookieHandler(new CookieManager()).build();
            token = new JsonObject(http.send(HttpRequest.newBuilder(base.resolve("/api/session")).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).getString("csrf");
        }

        Session login() throws Exception {
            final HttpResponse<String> r = post("/api/login", new JsonObject().put("secret", secret), Optional.of(token),
                    Optional.empty());
            assertEquals(200, r.statusCode(), r.body());
            token = new JsonObject(r.body()).getString("csrf");
            return this;
        }

        HttpResponse<String> post(final String path, final JsonObject body, final Optional<String> csrf,
                final Optional<String> origin) throws Exception {
            final HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode()));
            csrf.ifPresent(t -> b.header("X-CSRF-Token", t));
            origin.ifPresent(o -> b.header("Origin", o));
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    private static JsonObject upload(final String... entities) throws Exception {
        final JsonArray csrs = new JsonArray();
        for (final String e : entities) {
            csrs.add(new JsonObject().put("name", e + ".csr").put("pem", new String(
                    DeviceCsrs.csr("CN=" + e), StandardCharsets.US_ASCII)));
        }
        return new JsonObject().put("csrs", csrs);
    }

    private static boolean enrolled(final String entity) {
        final DeviceRegister register = fixture.system.gateway().deviceRegister();
        return register.entries().stream().anyMatch(e -> e.entity().equals(EntityId.of(entity)) && !e.revoked());
    }

    @Test
    @DisplayName("P8 forty CSRs uploaded at once on the page come back as PAN certificates, a bad one refused with its reason, all recorded in the gateway's register")
    void enrolOnThePage_fortyCsrsAndABadOne_certificatesIssuedBadOneRefused() throws Exception {
        final String[] fleet = new String[40];
        for (int i = 0; i < fleet.length; i++) {
            fleet[i] = "page-dev-" + (i + 1);
        }
        final JsonObject body = upload(fleet);
        body.getJsonArray("csrs").add(new JsonObject().put("name", "broken.csr").put("pem", "not a request"));
        final Session owner = new Session().login();

        final HttpResponse<String> r = owner.post(ENROL, body, Optional.of(owner.token), Optional.empty());

        assertEquals(200, r.statusCode(), r.body());
        final JsonObject answer = new JsonObject(r.body());
        final JsonArray results = answer.getJsonArray("results");
        assertEquals(41, results.size());
        final X509Certificate ca = fixture.system.gateway().certificateAuthority().caCertificate();
        for (int i = 0; i < fleet.length; i++) {
            final JsonObject x = results.getJsonObject(i);
            assertTrue(x.getBoolean("enrolled"), x.encode());
            assertEquals(fleet[i], x.getString("entityId"));
            final List<X509Certificate> chain = Pem.parseCertificates(
                    x.getString("certificate").getBytes(StandardCharsets.US_ASCII), "downloaded");
            assertEquals("CN=" + fleet[i], chain.get(0).getSubjectX500Principal().getName());
            chain.get(0).verify(ca.getPublicKey());
            assertEquals(ca, chain.get(1), "the CA the device trusts comes with it");
        }
        final JsonObject broken = results.getJsonObject(40);
        assertFalse(broken.getBoolean("enrolled"));
        assertEquals("broken.csr", broken.getString("source"));
        assertTrue(broken.getString("reason").contains("certificate signing request"), broken.encode());
        assertFalse(broken.containsKey("certificate"));
        Fixture.eventually(Duration.ofSeconds(10), "the running gateway sees the page's enrolments",
                () -> List.of(fleet).stream().allMatch(ApprovalPageEnrolmentIT::enrolled));
    }

    @Test
    @DisplayName("Enrolling on the page without login, without the session's CSRF token or from another origin is refused and enrols nothing")
    void enrolOnThePage_withoutLoginOrCsrfTokenOrForeignOrigin_refusedNothingEnrolled() throws Exception {
        final JsonObject body = upload("forged-dev");
        final Session stranger = new Session();
        assertEquals(401, stranger.post(ENROL, body, Optional.of(stranger.token), Optional.empty()).statusCode(),
                "not logged in");
        final Session owner = new Session().login();
        assertEquals(403, owner.post(ENROL, body, Optional.empty(), Optional.empty()).statusCode(), "no token");
        assertEquals(403, owner.post(ENROL, body, Optional.of(stranger.token), Optional.empty()).statusCode(),
                "another session's token");
        assertEquals(403, owner.post(ENROL, body, Optional.of(owner.token), Optional.of("https://evil.example"))
                .statusCode(), "another site");
        assertEquals(400, owner.post(ENROL, new JsonObject().put("csrs", new JsonArray()), Optional.of(owner.token),
                Optional.empty()).statusCode(), "nothing to enrol");
        assertFalse(enrolled("forged-dev"));
        assertEquals(200, owner.post(ENROL, body, Optional.of(owner.token), Optional.empty()).statusCode());
        Fixture.eventually(Duration.ofSeconds(10), "enrolled with login and token", () -> enrolled("forged-dev"));
    }
}
