package org.cpnskeys.gateway.web;

import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.Session;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Locale;

/**
 * The approval page's defence against cross-site request forgery, in front of every state-changing request
 * ({@code POST /api/*}): a request passes only when
 * <ol>
 * <li>its {@code Origin}, when the browser sends one, is this page's own ({@code https://} + the {@code Host} it
 * asked for), so the page works under every name its certificate carries ({@code localhost}, {@code 127.0.0.1},
 * {@code --web-host}) and a request from any other site is refused (403);</li>
 * <li>its {@value #HEADER} header equals the token kept in the caller's server-side session, compared in constant
 * time (403 otherwise): a forged request can carry the session cookie but not the token, which only the page's
 * own script can read from the API;</li>
 * <li>its body is declared JSON (415 otherwise), which a cross-site HTML form cannot send.</li>
 * </ol>
 * The token is 192 random bits made with the session (before login too, so a login cannot be forged either) and
 * replaced at login together with the session id.
 *
 * <p>Why not vertx-web's {@code CSRFHandler} (read in 5.0.7, {@code handler/impl/CSRFHandlerImpl} and
 * {@code impl/Origin}): with a session it also binds its token to the session, but it
 * <ul>
 * <li>checks the origin against one fixed {@code setOrigin} value, and with none set checks no origin at all:
 * the page is reached as both {@code https://localhost:port} and {@code https://127.0.0.1:port} (and the port is
 * known only once it listens), so either a second name would lose every Approve, or the origin check would go;</li>
 * <li>replaces its token after every accepted POST and refuses the old one, and binds it to the session id it
 * was issued under: a second tab of the same session, or two quick decisions in flight, would get 403 for a
 * legitimate Approve, and every login would need an extra round trip for a new token;</li>
 * <li>expires a token a fixed time after issue (30 minutes by default), however busy the session, and adds a
 * second cookie that must equal the header (a double submit that adds nothing to a session-bound token).</li>
 * </ul>
 * So it would change what the owner sees without making a forged request any harder; this small check stays.
 */
final class CsrfGuard implements Handler<RoutingContext> {
    static final String HEADER = "X-CSRF-Token";
    private static final String SESSION_KEY = "cpns.csrf";
    private static final int TOKEN_BYTES = 24;
    private static final SecureRandom RANDOM = new SecureRandom();

    @Override
    public void handle(final RoutingContext ctx) {
        final String origin = ctx.request().getHeader("Origin");
        final String host = ctx.request().getHeader("Host");
        if (origin != null && (host == null || !origin.equalsIgnoreCase("https://" + host))) {
            refuse(ctx, 403, "Request refused: it does not come from this page (origin check).");
            return;
        }
        final String expected = token(ctx.session());
        final String given = ctx.request().getHeader(HEADER);
        if (given == null || !MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                given.getBytes(StandardCharsets.US_ASCII))) {
            refuse(ctx, 403, "Request refused: missing or wrong CSRF token. Reload the page and try again.");
            return;
        }
        final String type = ctx.request().getHeader("Content-Type");
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            refuse(ctx, 415, "Request refused: JSON expected.");
            return;
        }
        ctx.next();
    }

    /** The session's token, made now if it has none yet. */
    static String token(final Session session) {
        final String t = session.get(SESSION_KEY);
        if (t != null) {
            return t;
        }
        return renew(session);
    }

    /** Gives the session a fresh token (at login, with the new session id) and returns it. */
    static String renew(final Session session) {
        final byte[] b = new byte[TOKEN_BYTES];
        RANDOM.nextBytes(b);
        final String fresh = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
        session.put(SESSION_KEY, fresh);
        return fresh;
    }

    private static void refuse(final RoutingContext ctx, final int status, final String message) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json; charset=utf-8")
                .end(new JsonObject().put("error", message).encode());
    }
}
