package org.cpnskeys.server.store;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;
import java.util.Optional;

import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;

/**
 * Where the PostgreSQL EUKey store lives. The password never appears in {@link #toString()} and never comes
 * from the URL: give it from a file or the environment.
 *
 * @param host     server host
 * @param port     server port
 * @param database database name
 * @param user     role the server logs in as (it needs to create tables in the database on first start)
 * @param password the role's password, if the server asks for one
 * @param poolSize connections kept open; concurrent assigns beyond it wait in the pool's queue
 * @param tls      how the connections are protected ({@link PgTls}: verify-full with a CA file across a network)
 */
public record PgStoreConfig(String host, int port, String database, String user, Optional<String> password,
        int poolSize, PgTls tls) {
    public static final int DEFAULT_PORT = 5432;
    public static final int DEFAULT_POOL_SIZE = 8;

    public PgStoreConfig {
        requireText(host, "host");
        requireText(database, "database");
        requireText(user, "user");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(tls, "tls");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("PostgreSQL port must be 1-65535");
        }
        if (poolSize < 1 || poolSize > 256) {
            throw new IllegalArgumentException("PostgreSQL pool size must be 1-256");
        }
    }

    /** A store reached in plain text ({@link PgTls#PLAIN}): on this machine only. */
    public PgStoreConfig(final String host, final int port, final String database, final String user,
            final Optional<String> password, final int poolSize) {
        this(host, port, database, user, password, poolSize, PgTls.PLAIN);
    }

    /** The same store, reached with {@code newTls}. */
    public PgStoreConfig withTls(final PgTls newTls) {
        return new PgStoreConfig(host, port, database, user, password, poolSize, newTls);
    }

    /**
     * Parses {@code postgresql://user@host[:port]/database} (also {@code postgres://}). A password inside the URL
     * is refused: URLs end up in process lists, shell histories and logs. So are parameters after {@code ?}
     * (libpq's {@code ?sslmode=}...), which would otherwise be ignored without a word: TLS is set with
     * {@link #withTls(PgTls)}. The result is plain text until then.
     */
    public static PgStoreConfig fromUrl(final String url, final Optional<String> password, final int poolSize) {
        final URI uri;
        try {
            uri = new URI(Objects.requireNonNull(url, "url"));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a PostgreSQL URL: " + e.getMessage());
        }
        if (!"postgresql".equals(uri.getScheme()) && !"postgres".equals(uri.getScheme())) {
            throw new IllegalArgumentException("PostgreSQL URL must start with postgresql://");
        }
        final String userInfo = uri.getRawUserInfo();
        if (userInfo == null || userInfo.isEmpty()) {
            throw new IllegalArgumentException("PostgreSQL URL needs a user: postgresql://user@host:port/database");
        }
        if (userInfo.contains(":")) {
            throw new IllegalArgumentException("PostgreSQL URL must not carry a password; give it in a file or the"
                    + " environment");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("PostgreSQL URL must not carry parameters (?...): give TLS with"
                    + " --pg-ssl-mode and --pg-ca-file");
        }
        final String path = uri.getPath() == null ? "" : uri.getPath();
        if (path.length() < 2 || path.indexOf('/', 1) >= 0) {
            throw new IllegalArgumentException("PostgreSQL URL needs a database: postgresql://user@host:port/database");
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("PostgreSQL URL needs a host");
        }
        return new PgStoreConfig(uri.getHost(), uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort(), path.substring(1),
                uri.getUserInfo(), password, poolSize);
    }

    /**
     * The connect options, with {@link #tls()} applied: also pins {@code synchronous_commit=on}, so a COMMIT answer means
     * durably written.
     */
    public PgConnectOptions connectOptions() {
        final PgConnectOptions options = new PgConnectOptions()
                .setHost(host)
                .setPort(port)
                .setDatabase(database)
                .setUser(user)
                .addProperty("application_name", "cpns-server")
                .addProperty("synchronous_commit", "on")
                .addProperty("client_min_messages", "warning");
        password.ifPresent(options::setPassword);
        tls.applyTo(options);
        return options;
    }

    /** The pool options. */
    public PoolOptions poolOptions() {
        return new PoolOptions().setMaxSize(poolSize).setMaxWaitQueueSize(-1);
    }

    /** Where the store is, for logs. */
    public String describe() {
        return "postgresql://" + user + "@" + host + ":" + port + "/" + database + " (TLS " + tls + ")";
    }

    @Override
    public String toString() {
        return "PgStoreConfig[" + describe() + ", password=" + (password.isPresent() ? "redacted" : "none")
                + ", poolSize=" + poolSize + "]";
    }

    private static void requireText(final String s, final String what) {
        if (s == null || s.isBlank()) {
            throw new IllegalArgumentException("PostgreSQL " + what + " is required");
        }
    }
}
