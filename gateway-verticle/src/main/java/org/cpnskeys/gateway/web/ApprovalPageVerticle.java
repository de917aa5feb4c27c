package org.cpnskeys.gateway.web;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PfxOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.Session;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CSPHandler;
import io.vertx.ext.web.handler.HSTSHandler;
import io.vertx.ext.web.handler.SessionHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.handler.XFrameHandler;
import io.vertx.ext.web.sstore.LocalSessionStore;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

import org.cpnskeys.gateway.approval.ApprovalDecision;
import org.cpnskeys.gateway.approval.ApprovalRequest;
import org.cpnskeys.gateway.approval.PageApproval;
import org.cpnskeys.gateway.credentials.GatewayCredentials;
import org.cpnskeys.gateway.credentials.UserCredentials;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.gateway.pan.PanCertificateAuthority;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.UserId;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the approval page over HTTPS: static assets from the jar ({@code cpns-gateway-page/}), a small JSON API,
 * and a server-sent event stream that pushes the whole state on every change.
 *
 * <p>Security: a session cookie (Secure, HttpOnly, SameSite=Strict) is authenticated by the admin secret
 * ({@link AdminSecret}, constant-time) under a {@link LoginThrottle}; the session id is regenerated at login.
 * Every POST passes the {@link CsrfGuard} (the session's token in the {@code X-CSRF-Token} header, a JSON body and,
 * when the browser sends one, an {@code Origin} equal to the page's own; why it is not vertx-web's CSRFHandler is
 * said there). Every answer carries vertx-web's security headers: a strict Content-Security-Policy that allows
 * nothing but the page's own assets ({@link CSPHandler}), HSTS for a year ({@link HSTSHandler}) and
 * {@code X-Frame-Options: DENY} ({@link XFrameHandler}); plus {@code nosniff}, no referrer and no caching, for which
 * vertx-web has no handler. Neither the secret, the password nor HA1 is ever logged or sent back.
 */
public final class ApprovalPageVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(ApprovalPageVerticle.class);
    private static final String AUTH = "cpns.auth";
    private static final String ENROL = "/api/devices/enroll";
    private static final long SESSION_TIMEOUT_MS = Duration.ofMinutes(30).toMillis();
    private static final long HEARTBEAT_MS = 15_000;
    private static final long HSTS_MAX_AGE_SECONDS = Duration.ofDays(365).toSeconds();

    private final ApprovalPage page;
    private final ApprovalPage.Prepared prepared;
    private final GatewayCredentials credentials;
    private final GatewayId gatewayId;
    private final String realm;
    private final Set<HttpServerResponse> streams = new LinkedHashSet<>();
    private HttpServer server;
    private Runnable stopApprovalListener;
    private Runnable stopPromptListener;
    private long heartbeat = -1;

    ApprovalPageVerticle(final ApprovalPage page, final ApprovalPage.Prepared prepared,
            final GatewayCredentials credentials, final GatewayId gatewayId, final String realm) {
        this.page = page;
        this.prepared = prepared;
        this.credentials = credentials;
        this.gatewayId = gatewayId;
        this.realm = realm;
    }

    @Override
    public Future<?> start() {
        final HttpServerOptions options = new HttpServerOptions().setSsl(true)
                .setKeyCertOptions(new PfxOptions().setValue(Buffer.buffer(prepared.pkcs12()))
                        .setPassword(prepared.pkcs12Password()))
                .setEnabledSecureTransportProtocols(Set.of("TLSv1.2", "TLSv1.3"))
                .setHost(page.config().bindAddress()).setPort(page.config().port());
        stopApprovalListener = page.pageApproval().onChange(() -> context.runOnContext(v -> broadcast()));
        stopPromptListener = page.pagePrompt().onChange(() -> context.runOnContext(v -> broadcast()));
        heartbeat = vertx.setPeriodic(HEARTBEAT_MS, id -> streams.forEach(r -> r.write(": keep-alive\n\n")));
        return vertx.createHttpServer(options).requestHandler(router()).listen()
                .onSuccess(s -> {
                    server = s;
                    page.listening(s.actualPort());
                    LOG.info("approval page listening on https://{}:{}/ (admin secret in {})",
                            page.config().bindAddress(), s.actualPort(), prepared.secret().file());
                });
    }

    @Override
    public Future<?> stop() {
        if (stopApprovalListener != null) {
            stopApprovalListener.run();
            stopPromptListener.run();
        }
        vertx.cancelTimer(heartbeat);
        streams.forEach(r -> r.end().onFailure(e -> { }));
        streams.clear();
        return server == null ? Future.succeededFuture() : server.close();
    }

    // ------------------------------------------------------------------ routes

    private Router router() {
        final Router router = Router.router(vertx);
        router.route().handler(contentSecurityPolicy()).handler(HSTSHandler.create(HSTS_MAX_AGE_SECONDS, false))
                .handler(XFrameHandler.create(XFrameHandler.DENY)).handler(ApprovalPageVerticle::otherSecurityHeaders);
        router.route("/api/*").handler(SessionHandler.create(LocalSessionStore.create(vertx))
                .setSessionCookieName("cpns-gw-session").setCookieSecureFlag(true).setCookieHttpOnlyFlag(true)
                .setCookieSameSite(CookieSameSite.STRICT).setSessionTimeout(SESSION_TIMEOUT_MS));
        router.post(ENROL).handler(BodyHandler.create(false).setBodyLimit(DeviceEnrolmentRoute.MAX_BODY_BYTES));
        router.post("/api/*").handler(BodyHandler.create(false).setBodyLimit(16 * 1024));
        router.post("/api/*").handler(new CsrfGuard());
        router.get("/api/session").handler(this::session);
        router.post("/api/login").handler(this::login);
        router.route("/api/*").handler(this::requireLogin);
        router.post("/api/logout").handler(this::logout);
        router.get("/api/state").handler(ctx -> json(ctx, 200, state()));
        router.get("/api/events").handler(this::events);
        router.post("/api/requests/:requestId/:action").handler(this::decide);
        router.post("/api/devices/:entityId/release").handler(this::releaseDevice);
        router.post("/api/credentials").handler(this::setCredentials);
        router.post("/api/credentials/remove").handler(this::removeCredentials);
        router.post(ENROL).handler(new DeviceEnrolmentRoute(vertx, prepared.ca(), prepared.register(),
                PanCertificateAuthority.DEFAULT_DEVICE_VALIDITY));
        router.route("/api/*").handler(ctx -> error(ctx, 404, "No such API."));
        router.route().handler(StaticHandler.create("cpns-gateway-page").setCachingEnabled(false)
                .setIndexPage("index.html"));
        return router;
    }

    /** Only the page's own script, style and images; no frames, forms or base elsewhere. */
    private static CSPHandler contentSecurityPolicy() {
        return CSPHandler.create().setDirective("default-src", "none").setDirective("script-src", "self")
                .setDirective("style-src", "self").setDirective("img-src", "self").setDirective("connect-src", "self")
                .setDirective("form-action", "self").setDirective("base-uri", "none")
                .setDirective("frame-ancestors", "none");
    }

    private static void otherSecurityHeaders(final RoutingContext ctx) {
        ctx.response().putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Referrer-Policy", "no-referrer")
                .putHeader("Cache-Control", "no-store");
        ctx.next();
    }

    private void session(final RoutingContext ctx) {
        json(ctx, 200, new JsonObject().put("authenticated", loggedIn(ctx.session()))
                .put("csrf", CsrfGuard.token(ctx.session())).put("gateway", gatewayId.value()));
    }

    private void login(final RoutingContext ctx) {
        final String address = ctx.request().remoteAddress() == null ? "?" : ctx.request().remoteAddress().hostAddress();
        final Optional<Duration> wait = page.throttle().waitFor(address);
        if (wait.isPresent()) {
            final long seconds = Math.max(1, (wait.get().toMillis() + 999) / 1000);
            ctx.response().putHeader("Retry-After", Long.toString(seconds));
            error(ctx, 429, "Too many wrong secrets: wait " + seconds + " s before trying again.");
            return;
        }
        final String typed = body(ctx).map(b -> b.getValue("secret")).filter(String.class::isInstance)
                .map(String.class::cast).orElse(null);
        if (!prepared.secret().matches(typed)) {
            page.throttle().failed(address);
            LOG.info("approval page: failed login from {}", address);
            error(ctx, 401, "Wrong admin secret. It is in the file " + prepared.secret().file() + " on the gateway.");
            return;
        }
        page.throttle().succeeded(address);
        final Session s = ctx.session().regenerateId();
        s.put(AUTH, Boolean.TRUE);
        final String csrf = CsrfGuard.renew(s);
        LOG.info("approval page: login from {}", address);
        json(ctx, 200, new JsonObject().put("authenticated", true).put("csrf", csrf));
    }

    private void requireLogin(final RoutingContext ctx) {
        if (loggedIn(ctx.session())) {
            ctx.next();
        } else {
            error(ctx, 401, "Please log in with the admin secret.");
        }
    }

    private void logout(final RoutingContext ctx) {
        ctx.session().destroy();
        json(ctx, 200, new JsonObject().put("authenticated", false));
    }

    private void events(final RoutingContext ctx) {
        final HttpServerResponse r = ctx.response();
        r.setChunked(true).putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("X-Accel-Buffering", "no");
        streams.add(r);
        r.closeHandler(v -> streams.remove(r));
        r.write("retry: 2000\n\n");
        send(r, state());
    }

    private void decide(final RoutingContext ctx) {
        final String action = ctx.pathParam("action");
        final ApprovalDecision decision = "approve".equals(action) ? ApprovalDecision.APPROVED
                : "deny".equals(action) ? ApprovalDecision.DENIED : null;
        final RequestId id;
        try {
            id = RequestId.of(ctx.pathParam("requestId"));
        } catch (IllegalArgumentException e) {
            error(ctx, 400, "Not a request id.");
            return;
        }
        if (decision == null) {
            error(ctx, 404, "Unknown action: approve or deny.");
            return;
        }
        if (!page.pageApproval().answer(id, decision)) {
            error(ctx, 409, "This Key Request is no longer pending: it expired or was already answered.");
            return;
        }
        LOG.info("approval page: Key Request {} {}", id, decision == ApprovalDecision.APPROVED ? "approved" : "denied");
        json(ctx, 200, new JsonObject().put("decision", decision.name()));
    }

    /** "Remove this device": the owner's release of the device's EUKey at the server (PROTOCOL.md 2.3). */
    private void releaseDevice(final RoutingContext ctx) {
        final EntityId entity;
        try {
            entity = EntityId.of(ctx.pathParam("entityId"));
        } catch (IllegalArgumentException e) {
            error(ctx, 400, "Not an Entity ID.");
            return;
        }
        LOG.info("approval page: the user removes PNE {} (release of its EUKey)", entity);
        page.release(entity).onComplete(done -> {
            if (done.failed()) {
                error(ctx, 500, "The release failed.");
                return;
            }
            final org.cpnskeys.protocol.StatusReport s = done.result();
            broadcast();
            json(ctx, 200, new JsonObject().put("status", s.status())
                    .put("reason", printable(s.reason())).put("released", s.status() == Status.OK));
        });
    }

    private void setCredentials(final RoutingContext ctx) {
        final Optional<JsonObject> body = body(ctx);
        final String user = body.map(b -> b.getValue("userId")).filter(String.class::isInstance).map(String.class::cast)
                .map(String::strip).orElse("");
        final char[] password = body.map(b -> b.getValue("password")).filter(String.class::isInstance)
                .map(p -> ((String) p).toCharArray()).orElse(new char[0]);
        final UserId userId;
        try {
            userId = UserId.of(user);
        } catch (IllegalArgumentException e) {
            Arrays.fill(password, '\0');
            error(ctx, 400, "Please enter a valid User ID.");
            return;
        }
        if (password.length == 0) {
            error(ctx, 400, "Please enter the password.");
            return;
        }
        vertx.executeBlocking(() -> {
            try {
                return credentials.set(userId, realm, password);
            } finally {
                Arrays.fill(password, '\0');
            }
        }, false).onSuccess(stored -> {
            LOG.info("approval page: credentials of user {} stored (HA1 only)", stored.userId());
            page.pagePrompt().provided(stored);
            broadcast();
            json(ctx, 200, new JsonObject().put("userId", stored.userId().value()));
        }).onFailure(e -> {
            LOG.warn("approval page: storing the credentials failed: {}", e.getClass().getSimpleName());
            error(ctx, 500, "The credentials could not be stored on the gateway.");
        });
    }

    private void removeCredentials(final RoutingContext ctx) {
        vertx.executeBlocking(() -> {
            credentials.clear();
            return null;
        }, false).onSuccess(v -> {
            LOG.info("approval page: credentials removed");
            broadcast();
            json(ctx, 200, new JsonObject().put("removed", true));
        }).onFailure(e -> error(ctx, 500, "The credentials could not be removed."));
    }

    // ------------------------------------------------------------------ state

    private JsonObject state() {
        final Instant now = Instant.now();
        final JsonArray pending = new JsonArray();
        for (final ApprovalRequest r : page.pageApproval().pending()) {
            pending.add(describe(r).put("expiresInMs", Math.max(0, Duration.between(now, r.expiresAt()).toMillis())));
        }
        final JsonArray history = new JsonArray();
        for (final PageApproval.Decided d : page.pageApproval().history()) {
            final JsonObject h = describe(d.request()).put("decision", d.decision().name())
                    .put("decidedAt", d.decidedAt().toString());
            d.outcome().ifPresent(o -> h.put("status", o.status()).put("outcome", printable(o.reason())));
            history.add(h);
        }
        final Optional<UserCredentials> c = credentials.current();
        final JsonObject creds = new JsonObject().put("configured", c.isPresent()).put("realm", realm);
        c.ifPresent(u -> creds.put("userId", u.userId().value()));
        return new JsonObject().put("gateway", gatewayId.value()).put("pending", pending).put("history", history)
                .put("credentials", creds).put("credentialsWanted", new JsonArray(page.pagePrompt().reasons()));
    }

    private static JsonObject describe(final ApprovalRequest r) {
        return new JsonObject().put("requestId", r.requestId().value()).put("entityId", r.entityId().value())
                .put("proxy", r.proxy()).put("description", r.description().map(ApprovalPageVerticle::printable)
                        .orElse("")).put("fingerprint", r.certificateFingerprint());
    }

    private void broadcast() {
        if (streams.isEmpty()) {
            return;
        }
        final JsonObject s = state();
        streams.forEach(r -> send(r, s));
    }

    private static void send(final HttpServerResponse r, final JsonObject state) {
        r.write("event: state\ndata: " + state.encode() + "\n\n");
    }

    // ------------------------------------------------------------------ helpers

    private static boolean loggedIn(final Session s) {
        return s != null && Boolean.TRUE.equals(s.get(AUTH));
    }

    private static Optional<JsonObject> body(final RoutingContext ctx) {
        try {
            return Optional.ofNullable(ctx.body().asJsonObject());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static void json(final RoutingContext ctx, final int status, final JsonObject body) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json; charset=utf-8")
                .end(body.encode());
    }

    private static void error(final RoutingContext ctx, final int status, final String message) {
        json(ctx, status, new JsonObject().put("error", message));
    }

    /** Removes control and format characters (line breaks, bidi overrides) from untrusted text. */
    static String printable(final String s) {
        return s.codePoints().filter(c -> !Character.isISOControl(c) && Character.getType(c) != Character.FORMAT)
                .limit(200).collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                .toString();
    }
}
