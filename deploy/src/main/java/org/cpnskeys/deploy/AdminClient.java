package org.cpnskeys.deploy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * The CLI's side of the server's admin API ({@code org.cpnskeys.server.admin.AdminApi}): one blocking JDK HTTP
 * call per command, the token read from its owner-only file. An error answer becomes an
 * {@link IllegalStateException} carrying the server's reason.
 */
final class AdminClient {
    /** The admin API cannot be reached (nothing listens): the server is stopped. */
    static final class Unreachable extends Exception {
        private static final long serialVersionUID = 1L;

        Unreachable(final String message, final Throwable cause) {
            super(message, cause);
        }
    }

    /** The answer: status and JSON body. */
    record Answer(int status, JsonObject body) {
    }

    private final URI base;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private AdminClient(final URI base, final String token) {
        this.base = base;
        this.token = token;
    }

    /**
     * A client for the server at {@code url} if its token file exists; empty if it does not (no server has run
     * with this data folder, or it runs without the admin API).
     */
    static Optional<AdminClient> ifTokenExists(final String url, final Path tokenFile) {
        if (!Files.isRegularFile(tokenFile)) {
            return Optional.empty();
        }
        final String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        return Optional.of(new AdminClient(URI.create(base + "/admin/"), Cli.readSecret(tokenFile, "the admin token")));
    }

    static String segment(final String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    Answer get(final String path) throws Unreachable {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET());
    }

    Answer post(final String path) throws Unreachable {
        return send(HttpRequest.newBuilder(base.resolve(path)).POST(HttpRequest.BodyPublishers.noBody()));
    }

    Answer put(final String path, final JsonObject body) throws Unreachable {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body.encode())));
    }

    Answer delete(final String path) throws Unreachable {
        return send(HttpRequest.newBuilder(base.resolve(path)).DELETE());
    }

    /** Fails with the server's reason unless the answer is one of {@code ok}. */
    static JsonObject expect(final Answer a, final int... ok) {
        for (final int s : ok) {
            if (a.status() == s) {
                return a.body();
            }
        }
        final String reason = a.body().getString("reason", "no reason given");
        final String retry = a.body().containsKey("retryAfter") ? " (retry after " + a.body().getValue("retryAfter") + " s)" : "";
        throw new IllegalStateException("the server answered " + a.status() + ": " + reason + retry);
    }

    private Answer send(final HttpRequest.Builder request) throws Unreachable {
        try {
            final HttpResponse<String> r = http.send(request.header("Authorization", "Bearer " + token)
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            JsonObject body;
            try {
                body = r.body().isEmpty() ? new JsonObject() : new JsonObject(r.body());
            } catch (DecodeException e) {
                body = new JsonObject().put("reason", "not a JSON answer (is " + base + " the CPNS admin API?)");
            }
            return new Answer(r.statusCode(), body);
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw new Unreachable("no admin API at " + base, e);
        } catch (IOException e) {
            throw new IllegalStateException("admin API at " + base + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
