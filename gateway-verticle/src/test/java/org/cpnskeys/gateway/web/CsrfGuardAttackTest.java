package org.cpnskeys.gateway.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.SessionHandler;
import io.vertx.ext.web.sstore.LocalSessionStore;

import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attack: another web site the page's owner visits makes their browser send state changes to the approval page
 * (the browser adds the session cookie, not the token). {@link CsrfGuard} must stop every such request before the
 * handler behind it runs, and let the page's own requests through. Plain HTTP on loopback with the page's session
 * handling; the {@code Origin} values are what a browser would send.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CsrfGuardAttackTest {
    private static Vertx vertx;
    private static HttpServer server;
    private static String base;
    private static String ownOrigin;
    private static final AtomicInteger reached = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        final Router router = Router.router(vertx);
        router.route().handler(SessionHandler.create(LocalSessionStore.create(vertx)));
        router.get("/token").handler(ctx -> ctx.end(CsrfGuard.token(ctx.session())));
        router.post().handler(BodyHandler.create(false));
        router.post().handler(new CsrfGuard());
        router.post("/login").handler(ctx -> {
            reached.incrementAndGet();
            ctx.end(CsrfGuard.renew(ctx.session().regenerateId()));
        });
        router.post("/approve").handler(ctx -> {
            reached.incrementAndGet();
            ctx.end("approved");
        });
        server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        base = "http://127.0.0.1:" + server.actualPort();
        ownOrigin = "https://127.0.0.1:" + server.actualPort();
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @BeforeEach
    void resetCount() {
        reached.set(0);
    }

    /** A browser: its own cookie jar (its own session once it has asked for the token); HTTP/1.1 as the page speaks. */
    private static final class Browser {
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .cookieHandler(new CookieManager()).build();

        String token() throws Exception {
            return http.send(HttpRequest.newBuilder(URI.create(base + "/token")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        }

        HttpResponse<String> post(final String path, final Optional<String> token, final Optional<String> origin,
                final String contentType) throws Exception {
            final HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                    .header("Content-Type", contentType)
                    .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().encode()));
            token.ifPresent(t -> b.header(CsrfGuard.HEADER, t));
            origin.ifPresent(o -> b.header("Origin", o));
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> post(final String path, final String token) throws Exception {
            return post(path, Optional.of(token), Optional.of(ownOrigin), "application/json");
        }
    }

    @Test
    void forgedPost_fromAnotherSiteWithoutTheToken_refused403BeforeTheHandler() throws Exception {
        final Browser owner = new Browser();
        owner.token();

        final HttpResponse<String> r = owner.post("/approve", Optional.empty(), Optional.of("https://evil.example"),
                "application/json");

        assertEquals(403, r.statusCode(), r.body());
        assertTrue(r.body().contains("origin check"), r.body());
        assertEquals(0, reached.get());
    }

    @Test
    void forgedPost_fromAnotherSiteEvenWithTheRightToken_refused403() throws Exception {
        final Browser owner = new Browser();
        final String token = owner.token();

        assertEquals(403, owner.post("/approve", Optional.of(token), Optional.of("https://evil.example"),
                "application/json").statusCode());
        assertEquals(403, owner.post("/approve", Optional.of(token), Optional.of("http://127.0.0.1:" + server.actualPort()),
                "application/json").statusCode(), "the same host over plain HTTP is another origin");
        assertEquals(0, reached.get());
    }

    @Test
    void post_withoutTokenWithAWrongOneOrAnotherSessionsToken_refused403() throws Exception {
        final Browser owner = new Browser();
        owner.token();
        final String strangersToken = new Browser().token();

        assertEquals(403, owner.post("/approve", Optional.empty(), Optional.of(ownOrigin), "application/json")
                .statusCode(), "no token");
        assertEquals(403, owner.post("/approve", "forged-token").statusCode(), "a made-up token");
        assertEquals(403, owner.post("/approve", strangersToken).statusCode(), "another session's token");
        assertEquals(0, reached.get());
    }

    @Test
    void post_asAnHtmlFormWouldSendIt_refused415EvenWithTheToken() throws Exception {
        final Browser owner = new Browser();
        final String token = owner.token();

        for (final String formType : new String[] {"application/x-www-form-urlencoded", "text/plain",
                "multipart/form-data; boundary=x"}) {
            assertEquals(415, owner.post("/approve", Optional.of(token), Optional.of(ownOrigin), formType).statusCode(),
                    formType);
        }
        assertEquals(0, reached.get());
    }

    @Test
    void post_ofThePageItself_withTheSessionsTokenFromItsOriginOrWithoutOrigin_passes() throws Exception {
        final Browser owner = new Browser();
        final String token = owner.token();

        final HttpResponse<String> first = owner.post("/approve", token);
        assertEquals(200, first.statusCode(), first.body());
        assertEquals(200, owner.post("/approve", Optional.of(token), Optional.empty(), "application/json; charset=utf-8")
                .statusCode(), "a client that sends no Origin still needs the token, and has it");
        assertEquals(200, owner.post("/approve", token).statusCode(), "the token is not used up");
        assertEquals(3, reached.get());
    }

    @Test
    void login_renewsTheToken_thePreLoginTokenNoLongerWorks() throws Exception {
        final Browser owner = new Browser();
        final String before = owner.token();

        final HttpResponse<String> login = owner.post("/login", before);
        assertEquals(200, login.statusCode());
        final String after = login.body();

        assertNotEquals(before, after);
        assertEquals(403, owner.post("/approve", before).statusCode(), "a token learnt before login is void");
        assertEquals(200, owner.post("/approve", after).statusCode());
        assertEquals(after, owner.token(), "the page reads the same token again");
    }
}
