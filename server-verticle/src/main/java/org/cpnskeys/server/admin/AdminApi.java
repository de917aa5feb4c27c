package org.cpnskeys.server.admin;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.server.AuditLog;
import org.cpnskeys.server.ConsentKeys;
import org.cpnskeys.server.auth.DigestRealm;
import org.cpnskeys.server.auth.FailureLimiter;
import org.cpnskeys.server.auth.HtdigestFile;
import org.cpnskeys.server.store.EuKeyRepository;
import org.cpnskeys.server.store.KeyInfo;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's admin HTTP API, for operators and {@code cpns keys|user} on a running server. Every request carries
 * {@code Authorization: Bearer <token>} ({@link AdminToken}); failed attempts are counted per client address in
 * shared data and lock the address out ({@code 429} with {@code Retry-After}). Answers are JSON; errors are
 * {@code {"error": code, "reason": text}}. Key material, digests and passwords never appear in an answer, a log
 * line or the audit log, where every action is recorded.
 *
 * <pre>
 * GET    /admin/keys[?entity=E]        keys with metadata, oldest first; each ACTIVE key with its key check value
 *                                      ("kcv", {@link KeyCheckValues}), never the key
 * POST   /admin/keys/{entity}/revoke   the active key becomes REVOKED (404 if none)
 * POST   /admin/keys/{entity}/release  the entity is freed for any user (404 if nobody holds it)
 * GET    /admin/users                  the users of the realm
 * PUT    /admin/users/{user}           {"password": "..."}: adds the user or replaces the password
 * DELETE /admin/users/{user}           removes the user (404 if absent)
 * (a user change is live, the realm reloaded, when the answer comes)
 * </pre>
 */
public final class AdminApi {
    private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);
    /** Failed token attempts per client address before it is locked out, and for how long. */
    public static final FailureLimiter.Limit FAILURES = new FailureLimiter.Limit(10, Duration.ofMinutes(5));
    private static final int MAX_BODY_BYTES = 4096;
    private static final String PREFIX = "/admin/";
    /** One htdigest edit at a time in this process (read, change, atomic replace). */
    private static final Object USERS_LOCK = new Object();

    private final Vertx vertx;
    private final AdminToken token;
    private final EuKeyRepository store;
    private final Path users;
    private final DigestRealm digestRealm;
    private final String realm;
    private final AuditLog audit;
    private final FailureLimiter failures;
    private ConsentKeys consentKeys = ConsentKeys.NONE;
    private final Optional<KeyCheckValues> checks;

    /** An admin API that lists keys without their key check values. */
    public AdminApi(final Vertx vertx, final AdminToken token, final EuKeyRepository store, final Path htdigestFile,
            final DigestRealm realm, final AuditLog audit, final FailureLimiter failures) {
        this(vertx, token, store, htdigestFile, realm, audit, failures, Optional.empty());
    }

    /** An admin API that lists each ACTIVE key with its key check value, computed by {@code checks}. */
    public AdminApi(final Vertx vertx, final AdminToken token, final EuKeyRepository store, final Path htdigestFile,
            final DigestRealm realm, final AuditLog audit, final FailureLimiter failures,
            final Optional<KeyCheckValues> checks) {
        this.checks = checks;
        this.vertx = vertx;
        this.token = token;
        this.store = store;
        this.users = htdigestFile;
        this.digestRealm = realm;
        this.realm = realm.realm();
        this.audit = audit;
        this.failures = failures;
    }

    /** Verifies the stored consent receipts {@code cpns keys show} sees against these keys (call before listening). */
    public AdminApi showingConsentWith(final ConsentKeys keys) {
        this.consentKeys = java.util.Objects.requireNonNull(keys);
        return this;
    }

    /** Listens on {@code host:port} (0: any free port). */
    public Future<HttpServer> listen(final String host, final int port) {
        // HTTP/1.1 only: no cleartext HTTP/2 upgrade (h2c) of requests with bodies, a path with a history of bugs
        return vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(false))
                .requestHandler(this::handle).listen(port, host)
                .onSuccess(s -> LOG.info("admin API listening on http://{}:{}{}", host, s.actualPort(), PREFIX));
    }

    private void handle(final HttpServerRequest req) {
        final String client = req.remoteAddress() == null ? "unknown" : req.remoteAddress().hostAddress();
        final String actor = "admin-token@" + client;
        final String failureKey = "admin:" + client;
        if (req.getHeader("Transfer-Encoding") != null) {
            error(req, 411, "length_required", "send a Content-Length (bodies are at most " + MAX_BODY_BYTES
                    + " bytes)", null);
            return;
        }
        final String length = req.getHeader("Content-Length");
        if (length != null && (!length.matches("[0-9]{1,9}") || Integer.parseInt(length) > MAX_BODY_BYTES)) {
            error(req, 413, "too_large", "request body over " + MAX_BODY_BYTES + " bytes", null);
            return;
        }
        final Future<Buffer> body = req.body();
        failures.lockedFor(failureKey, FAILURES).onComplete(ar -> {
            if (ar.failed()) {
                failed(req, "checking the lockout", ar.cause());
                return;
            }
            if (ar.result().isPresent()) {
                final long retry = Math.max(1, (ar.result().get().toMillis() + 999) / 1000);
                audit.admin(actor, "authenticate", null, null, "refused", "locked out");
                error(req, 429, "too_many_requests", "too many failed admin authentications from " + client
                        + "; retry later", retry);
                return;
            }
            final String header = req.getHeader("Authorization");
            final String presented = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
                    ? header.substring(7).strip() : null;
            if (!token.matches(presented)) {
                audit.admin(actor, "authenticate", null, null, "refused", presented == null ? "no token" : "wrong token");
                failures.recordFailure(failureKey, FAILURES).onComplete(x -> {
                    req.response().putHeader("WWW-Authenticate", "Bearer realm=\"cpns-admin\"");
                    error(req, 401, "unauthorized", "missing or wrong admin token", null);
                });
                return;
            }
            failures.reset(failureKey).onComplete(x -> body.onComplete(b -> {
                if (b.failed()) {
                    error(req, 400, "bad_request", "request body could not be read", null);
                } else if (b.result().length() > MAX_BODY_BYTES) {
                    error(req, 413, "too_large", "request body over " + MAX_BODY_BYTES + " bytes", null);
                } else {
                    route(req, actor, b.result());
                }
            }));
        });
    }

    private void route(final HttpServerRequest req, final String actor, final Buffer body) {
        final String path = req.path();
        final List<String> seg = path.startsWith(PREFIX)
                ? List.of(path.substring(PREFIX.length()).split("/", -1)) : List.of();
        final HttpMethod m = req.method();
        try {
            if (seg.size() == 1 && seg.get(0).equals("keys") && m == HttpMethod.GET) {
                final Optional<EntityId> entity = Optional.ofNullable(req.getParam("entity")).map(EntityId::of);
                audit.admin(actor, "keys-list", entity.map(EntityId::value).orElse(null), null, "done", null);
                listKeys(req, entity);
            } else if (seg.size() == 3 && seg.get(0).equals("keys") && seg.get(2).equals("history")
                    && m == HttpMethod.GET) {
                final EntityId entity = EntityId.of(QueryStringDecoder.decodeComponent(seg.get(1)));
                audit.admin(actor, "keys-show", entity.value(), null, "done", null);
                KeyHistory.of(vertx, store, consentKeys, entity).onSuccess(h -> ok(req, 200, h))
                        .onFailure(e -> failed(req, "reading the key history", e));
            } else if (seg.size() == 1 && seg.get(0).equals("audit-head") && m == HttpMethod.GET) {
                audit.admin(actor, "audit-head", null, null, "done", null);
                audit.logId().map(store::auditHead).orElse(Future.succeededFuture(Optional.empty()))
                        .onSuccess(h -> ok(req, 200, h.map(x -> new JsonObject().put("log", x.log())
                                .put("lines", x.lines()).put("hash", x.hash())).orElse(new JsonObject())))
                        .onFailure(e -> failed(req, "audit head", e));
            } else if (seg.size() == 3 && seg.get(0).equals("keys") && m == HttpMethod.POST
                    && (seg.get(2).equals("revoke") || seg.get(2).equals("release"))) {
                changeKey(req, actor, seg.get(2), EntityId.of(QueryStringDecoder.decodeComponent(seg.get(1))));
            } else if (seg.size() == 1 && seg.get(0).equals("users") && m == HttpMethod.GET) {
                audit.admin(actor, "user-list", null, null, "done", null);
                listUsers(req);
            } else if (seg.size() == 2 && seg.get(0).equals("users") && m == HttpMethod.PUT) {
                putUser(req, actor, UserId.of(QueryStringDecoder.decodeComponent(seg.get(1))), body);
            } else if (seg.size() == 2 && seg.get(0).equals("users") && m == HttpMethod.DELETE) {
                removeUser(req, actor, UserId.of(QueryStringDecoder.decodeComponent(seg.get(1))));
            } else {
                error(req, 404, "not_found", "no such admin resource: " + m + " " + path, null);
            }
        } catch (IllegalArgumentException e) {
            error(req, 400, "bad_request", e.getMessage(), null);
        }
    }

    private void listKeys(final HttpServerRequest req, final Optional<EntityId> entity) {
        store.list().map(all -> all.stream().filter(k -> entity.isEmpty() || k.entityId().equals(entity.get()))
                .toList()).compose(keys -> checks.map(c -> c.of(keys))
                        .orElse(Future.succeededFuture(Map.of())).map(kcvs -> {
                            final JsonArray out = new JsonArray();
                            keys.forEach(k -> out.add(json(k, Optional.ofNullable(kcvs.get(k.keyId())))));
                            return out;
                        }))
                .onSuccess(keys -> ok(req, 200, new JsonObject().put("keys", keys)))
                .onFailure(e -> failed(req, "listing keys", e));
    }

    private void changeKey(final HttpServerRequest req, final String actor, final String action, final EntityId entity) {
        final Future<Optional<KeyInfo>> change = action.equals("revoke") ? store.revoke(entity) : store.release(entity);
        change.onComplete(ar -> {
            if (ar.failed()) {
                audit.admin(actor, action, entity.value(), null, "failed", "store failure");
                failed(req, action, ar.cause());
                return;
            }
            if (ar.result().isEmpty()) {
                final String reason = action.equals("revoke") ? "entity " + entity + " has no active key"
                        : "entity " + entity + " is held by nobody";
                audit.admin(actor, action, entity.value(), null, "not_found", reason);
                error(req, 404, "not_found", reason, null);
                return;
            }
            final KeyInfo k = ar.result().get();
            audit.admin(actor, action, entity.value(), k.userId().value(), "done", null);
            LOG.info("admin {}: entity={} user={} keyId={}", action, entity, k.userId(), k.keyId());
            ok(req, 200, new JsonObject().put("key", json(k)));
        });
    }

    private void listUsers(final HttpServerRequest req) {
        vertx.executeBlocking(() -> {
            synchronized (USERS_LOCK) {
                return java.nio.file.Files.exists(users) ? HtdigestFile.read(users).users() : List.<String>of();
            }
        }, false).onComplete(ar -> {
            if (ar.failed()) {
                failed(req, "listing users", ar.cause());
                return;
            }
            ok(req, 200, new JsonObject().put("realm", realm).put("users", new JsonArray(ar.result())));
        });
    }

    private void putUser(final HttpServerRequest req, final String actor, final UserId user, final Buffer body) {
        final char[] password;
        try {
            final JsonObject o = body.length() == 0 ? new JsonObject() : body.toJsonObject();
            final Object p = o.getValue("password");
            if (!(p instanceof String s) || s.isEmpty()) {
                error(req, 400, "bad_request", "body must be {\"password\": \"<non-empty string>\"}", null);
                return;
            }
            password = s.toCharArray();
        } catch (DecodeException | ClassCastException e) {
            error(req, 400, "bad_request", "body is not a JSON object", null);
            return;
        }
        vertx.executeBlocking(() -> {
            synchronized (USERS_LOCK) {
                final boolean existed = java.nio.file.Files.exists(users)
                        && HtdigestFile.read(users).users().contains(user.value());
                HtdigestFile.addOrReplace(users, user, realm, password);
                return existed;
            }
        }, false).compose(existed -> digestRealm.reloadNow().map(existed)).onComplete(ar -> {
            java.util.Arrays.fill(password, '\0');
            if (ar.failed()) {
                audit.admin(actor, "user-add", null, user.value(), "failed", "htdigest file not written");
                failed(req, "saving the user", ar.cause());
                return;
            }
            audit.admin(actor, ar.result() ? "user-password" : "user-add", null, user.value(), "done", null);
            LOG.info("admin: user {} {}", user, ar.result() ? "password replaced" : "added");
            ok(req, ar.result() ? 200 : 201, new JsonObject().put("user", user.value()).put("realm", realm)
                    .put("created", !ar.result()));
        });
    }

    private void removeUser(final HttpServerRequest req, final String actor, final UserId user) {
        vertx.executeBlocking(() -> {
            synchronized (USERS_LOCK) {
                return HtdigestFile.remove(users, user, realm);
            }
        }, false).compose(removed -> digestRealm.reloadNow().map(removed)).onComplete(ar -> {
            if (ar.failed()) {
                audit.admin(actor, "user-remove", null, user.value(), "failed", "htdigest file not written");
                failed(req, "removing the user", ar.cause());
                return;
            }
            if (!ar.result()) {
                audit.admin(actor, "user-remove", null, user.value(), "not_found", "no such user");
                error(req, 404, "not_found", "no user " + user + " in realm " + realm, null);
                return;
            }
            audit.admin(actor, "user-remove", null, user.value(), "done", null);
            LOG.info("admin: user {} removed", user);
            ok(req, 200, new JsonObject().put("user", user.value()).put("removed", true));
        });
    }

    /**
     * A listed key: its metadata and, when it was checked, its key check value ({@code kcv}) or, for a stored key
     * that does not open, {@code kcvUnavailable} with the reason.
     */
    static JsonObject json(final KeyInfo k, final Optional<KeyCheckValues.Check> check) {
        final JsonObject o = json(k);
        check.ifPresent(c -> c.kcv().ifPresentOrElse(kcv -> o.put("kcv", kcv),
                () -> o.put("kcvUnavailable", "the stored key does not open (see the server's log)")));
        return o;
    }

    /** A key as the API shows it: metadata only. */
    public static JsonObject json(final KeyInfo k) {
        return new JsonObject().put("entity", k.entityId().value()).put("user", k.userId().value())
                .put("gateway", k.gatewayId().value()).put("requestId", k.requestId().value())
                .put("keyId", k.keyId().value()).put("proxy", k.proxy()).put("createdAt", k.createdAt().toString())
                .put("state", k.state().name());
    }

    private static void ok(final HttpServerRequest req, final int status, final JsonObject body) {
        req.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store").end(body.encode());
    }

    private static void failed(final HttpServerRequest req, final String what, final Throwable e) {
        LOG.error("admin API: {} failed: {}", what, e.toString());
        error(req, 500, "internal", what + " failed", null);
    }

    private static void error(final HttpServerRequest req, final int status, final String code, final String reason,
            final Long retryAfterSeconds) {
        final JsonObject body = new JsonObject().put("error", code).put("reason", reason);
        if (retryAfterSeconds != null) {
            body.put("retryAfter", retryAfterSeconds);
            req.response().putHeader("Retry-After", Long.toString(retryAfterSeconds));
        }
        req.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store").end(body.encode());
    }
}
