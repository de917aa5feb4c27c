package org.cpnskeys.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import io.vertx.core.Vertx;
import io.vertx.core.net.PemTrustOptions;

import org.cpnskeys.broker.CloudTls;
import org.cpnskeys.broker.CloudTlsOptions;

import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;
import org.cpnskeys.server.OperationsConfig;
import org.cpnskeys.server.ServerApplication;
import org.cpnskeys.server.ServerConfig;
import org.cpnskeys.server.auth.DeploymentRealm;
import org.cpnskeys.server.cluster.ClusterConfig;
import org.cpnskeys.server.cluster.ServerCluster;
import org.cpnskeys.server.seal.Pkcs11SealConfig;
import org.cpnskeys.server.store.PgStoreConfig;
import org.cpnskeys.server.store.PgTls;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cpns server}: runs a CPNS Server until stopped. */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = {"Runs the CPNS Server: answers Key Requests from PN GWs with digest challenges and wrapped",
                "EUKeys, stores every EUKey durably. By default it embeds the cloud broker, with TLS: its certificate",
                "from --tls-cert/--tls-key or --tls-pkcs12, or issued by a cloud CA created in <data>/cloud-ca at",
                "first start (fingerprint printed at start). Set up each gateway with 'cpns server add-gateway --out'."},
        subcommands = {AddGatewayCommand.class, ServerClusterSecretsCommand.class, ResealCommand.class,
                StoreTlsCommand.class, MigrateMasterKeyCommand.class})
public final class ServerCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    TracingOptions tracingOptions = new TracingOptions();
    @picocli.CommandLine.Mixin
    LogOptions logging = new LogOptions();

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", defaultValue = "${env:CPNS_SERVER_DATA:-cpns-data/server}",
            description = "State folder: key store, master key, gateways (env CPNS_SERVER_DATA; default ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--users", defaultValue = "${env:CPNS_USERS}",
            description = "htdigest file of users (env CPNS_USERS; default <data>/users.htdigest). Re-read when it changes.")
    Path users;

    @Option(names = "--realm", defaultValue = "${env:CPNS_REALM}",
            description = {"Digest realm (env CPNS_REALM). Default: the realm of the users in the htdigest file, else",
                    "the one kept in <data>/realm, else a new one made at first start (cpns-<16 hex digits>), so that a",
                    "password reused elsewhere gives another HA1. Given, it must be the users' realm."})
    String realm;

    @Option(names = "--bind", defaultValue = "${env:CPNS_CLOUD_BIND:-127.0.0.1}",
            description = "Address of the embedded cloud broker (env CPNS_CLOUD_BIND; default ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--port", defaultValue = "${env:CPNS_CLOUD_PORT:-1883}",
            description = "Port of the embedded cloud broker, TLS unless --insecure-plaintext (env CPNS_CLOUD_PORT; default ${DEFAULT-VALUE}).")
    int port;

    @picocli.CommandLine.Mixin
    CloudTlsCliOptions tls = new CloudTlsCliOptions();

    @Option(names = "--broker-ca", defaultValue = "${env:CPNS_BROKER_CA}",
            description = {"PEM CA of the external cloud broker (--broker-host): TLS with host name verification. Without",
                    "it the link is plain, allowed only to a loopback host or with --insecure-plaintext (env CPNS_BROKER_CA)."})
    Path brokerCa;

    @Option(names = "--broker-host", defaultValue = "${env:CPNS_BROKER_HOST}",
            description = "Use this external cloud broker instead of the embedded one (env CPNS_BROKER_HOST).")
    String brokerHost;

    @Option(names = "--broker-port", defaultValue = "${env:CPNS_BROKER_PORT:-1883}", description = "External broker port (env CPNS_BROKER_PORT).")
    int brokerPort;

    @Option(names = "--broker-secret-file", defaultValue = "${env:CPNS_BROKER_SECRET_FILE}",
            description = "File holding the server's password on the external broker (user cpns-server).")
    Path brokerSecretFile;

    @Option(names = "--instances", defaultValue = "${env:CPNS_INSTANCES:-2}",
            description = "Request-handling verticles (env CPNS_INSTANCES; default ${DEFAULT-VALUE}).")
    int instances;

    @Option(names = "--nonce-lifetime", defaultValue = "${env:CPNS_NONCE_LIFETIME:-PT5M}",
            description = "Digest nonce lifetime, ISO-8601 (default ${DEFAULT-VALUE}).")
    Duration nonceLifetime;

    @picocli.CommandLine.Mixin
    ManagementOptions management = new ManagementOptions();

    @Option(names = "--admin-bind", defaultValue = "${env:CPNS_ADMIN_BIND:-127.0.0.1}",
            description = {"Address of the admin API (keys, users; token in <data>/admin.token). Plain HTTP: keep",
                    "it on loopback (env CPNS_ADMIN_BIND; default ${DEFAULT-VALUE})."})
    String adminBind;

    @Option(names = "--admin-port", defaultValue = "${env:CPNS_ADMIN_PORT:-" + OperationsConfig.DEFAULT_ADMIN_PORT + "}",
            description = "Port of the admin API; -1: off (env CPNS_ADMIN_PORT; default ${DEFAULT-VALUE}).")
    int adminPort;

    @Option(names = "--gateway-rate-limit", defaultValue = "${env:CPNS_GATEWAY_RATE_LIMIT:-0}",
            description = {"Key Requests per PN GW and second to this server before 429 (each server of a cluster counts its own); 0: no limit, the",
                    "default, since one gateway may carry thousands per second (env CPNS_GATEWAY_RATE_LIMIT)."})
    int gatewayRateLimit;

    @Option(names = "--store", defaultValue = "${env:CPNS_STORE:-sqlite}",
            description = "EUKey store: sqlite (embedded file in the data folder) or postgres (env CPNS_STORE; default ${DEFAULT-VALUE}).")
    String store;

    @Option(names = "--pg-url", defaultValue = "${env:CPNS_PG_URL}",
            description = "PostgreSQL store, postgresql://user@host:port/database, no password (env CPNS_PG_URL).")
    String pgUrl;

    @Option(names = "--pg-host", defaultValue = "${env:CPNS_PG_HOST:-127.0.0.1}", description = "PostgreSQL host when no --pg-url (default ${DEFAULT-VALUE}).")
    String pgHost;

    @Option(names = "--pg-port", defaultValue = "${env:CPNS_PG_PORT:-5432}", description = "PostgreSQL port when no --pg-url (default ${DEFAULT-VALUE}).")
    int pgPort;

    @Option(names = "--pg-database", defaultValue = "${env:CPNS_PG_DATABASE:-cpns}", description = "PostgreSQL database when no --pg-url (default ${DEFAULT-VALUE}).")
    String pgDatabase;

    @Option(names = "--pg-user", defaultValue = "${env:CPNS_PG_USER:-cpns}", description = "PostgreSQL user when no --pg-url (default ${DEFAULT-VALUE}).")
    String pgUser;

    @Option(names = "--pg-password-file", defaultValue = "${env:CPNS_PG_PASSWORD_FILE}",
            description = "File holding the PostgreSQL password (or set env CPNS_PG_PASSWORD; never on the command line).")
    Path pgPasswordFile;

    @Option(names = "--pg-pool-size", defaultValue = "${env:CPNS_PG_POOL_SIZE:-8}", description = "PostgreSQL connections (default ${DEFAULT-VALUE}).")
    int pgPoolSize;

    @Option(names = "--pg-ssl-mode", defaultValue = "${env:CPNS_PG_SSL_MODE}",
            description = {"PostgreSQL TLS: verify-full (its certificate must chain to --pg-ca-file and name the host),",
                    "verify-ca, or disable (plain text). Default: verify-full when --pg-ca-file is given, disable for a",
                    "loopback host, otherwise refused at start (env CPNS_PG_SSL_MODE)."})
    String pgSslMode;

    @Option(names = "--pg-ca-file", defaultValue = "${env:CPNS_PG_CA_FILE}",
            description = "PEM file of the CA that issued the PostgreSQL server's certificate (env CPNS_PG_CA_FILE).")
    Path pgCaFile;

    @Option(names = "--shared-secrets", defaultValue = "${env:CPNS_SHARED_SECRETS}",
            description = {"Folder holding master.key and nonce.key shared by every server of a cluster (made once with",
                    "`cpns server cluster-secrets`); default: generated in the data folder."})
    Path sharedSecrets;

    @Option(names = "--master-key", defaultValue = "${env:CPNS_MASTER_KEY:-file}",
            description = {"Where the master key sealing stored EUKeys is: file (master.key in the data or shared secrets",
                    "folder) or pkcs11 (a key in a PKCS#11 token, named by the --pkcs11-* options, that never leaves it;",
                    "move the keys there first with 'migrate-master-key --to pkcs11'). Env CPNS_MASTER_KEY; default ${DEFAULT-VALUE}."})
    String masterKey;

    @picocli.CommandLine.Mixin
    Pkcs11Options pkcs11 = new Pkcs11Options();

    @Option(names = "--cluster", defaultValue = "${env:CPNS_CLUSTER:-false}",
            description = {"Join the cluster of CPNS Servers (Vert.x + Hazelcast). Needs --cluster-members, a shared",
                    "store (--store postgres) and --shared-secrets (env CPNS_CLUSTER)."})
    boolean cluster;

    @Option(names = "--cluster-host", defaultValue = "${env:CPNS_CLUSTER_HOST:-127.0.0.1}",
            description = "Address (or host name, resolved at start) this member binds and announces to the others (default ${DEFAULT-VALUE}).")
    String clusterHost;

    @Option(names = "--cluster-port", defaultValue = "${env:CPNS_CLUSTER_PORT:-5701}",
            description = "Hazelcast port of this member (default ${DEFAULT-VALUE}).")
    int clusterPort;

    @Option(names = "--cluster-members", split = ",", defaultValue = "${env:CPNS_CLUSTER_MEMBERS}",
            description = "Every member, host:port, comma-separated (env CPNS_CLUSTER_MEMBERS). No multicast.")
    List<String> clusterMembers;

    @Option(names = "--cluster-dns", defaultValue = "${env:CPNS_CLUSTER_DNS}",
            description = {"Instead of --cluster-members: a DNS name whose addresses are the members, each on",
                    "--cluster-port (a Kubernetes headless Service; env CPNS_CLUSTER_DNS)."})
    String clusterDns;

    @Override
    public Integer call() {
        Cli.requireFile(brokerCa, "--broker-ca");
        Cli.requireFile(pgCaFile, "--pg-ca-file");
        final CloudTlsOptions tlsOptions = tls.options();
        final Optional<ServerConfig.BrokerAddress> embedded = brokerHost == null
                ? Optional.of(new ServerConfig.BrokerAddress(bind, port, tlsOptions)) : Optional.empty();
        final Optional<MqttEndpoint> external = brokerHost == null ? Optional.empty()
                : Optional.of(externalBroker(tlsOptions.insecurePlaintext()));
        final ServerConfig config = new ServerConfig(data, usersFile(), effectiveRealm(),
                embedded, external, Optional.empty(), nonceLifetime, instances, MessageCodec.DEFAULT_MAX_PAYLOAD_BYTES,
                Duration.ofSeconds(2), postgres(), Optional.ofNullable(sharedSecrets), masterKeyToken());
        if (cluster && (config.postgres().isEmpty() || config.sharedSecretsDir().isEmpty())) {
            throw new IllegalArgumentException("--cluster needs a shared store (--store postgres) and --shared-secrets:"
                    + " members with their own keys or their own store would refuse each other's work");
        }
        final List<ListenPorts.Port> listening = new java.util.ArrayList<>(List.of(management.listenPort(9100)));
        embedded.ifPresent(b -> listening.add(new ListenPorts.Port("--port", bind, port)));
        if (adminPort >= 0) {
            listening.add(new ListenPorts.Port("--admin-port", adminBind, adminPort));
        }
        final ListenPorts ports = ListenPorts.of(listening).ensureFree();
        final Vertx vertx = cluster
                ? Cli.await(ServerCluster.join(clusterDns != null && !clusterDns.isBlank()
                        ? ClusterConfig.byServiceDns(clusterHost, clusterPort, clusterDns)
                        : ClusterConfig.of(clusterHost, clusterPort, clusterMembers == null ? List.of() : clusterMembers),
                        Observability.options(),
                        Observability::withMetrics), "joining the cluster")
                : Observability.vertx();
        final TracingOptions.Opened tracing = tracingOptions.open("server");
        try {
            final OperationsConfig operations = new OperationsConfig(
                    adminPort < 0 ? Optional.empty() : Optional.of(adminBind), Math.max(0, adminPort), gatewayRateLimit,
                    tracing.tracing());
            final ServerApplication app = Cli.await(ports.naming(storeNaming(config.postgres(),
                    ServerApplication.start(vertx, config, Observability.serverMetrics(), operations))),
                    "starting the CPNS Server");
            app.cloudTls().ifPresent(t -> System.out.println("cloud broker TLS on " + bind + ":" + app.cloudPort()
                    + "; cloud CA fingerprint " + t.cloudCa().caFingerprint() + " (" + tlsOptions.caFolder()
                    .orElse(data.resolve(CloudTls.CA_FOLDER)).resolve(CloudTls.CA_LAYOUT.certificateFile()) + ")"));
            app.adminPort().ifPresent(p -> System.out.println("admin API on http://" + adminBind + ":" + p
                    + "/admin/ (token in " + app.adminTokenFile() + ")"));
            management.start(9100, (host, port) -> Observability.serve(vertx, host, port, app));
            return Cli.runUntilStopped(vertx, () -> app.stop().eventually(() -> vertx.executeBlocking(() -> {
                tracing.close();
                return null;
            })));
        } catch (RuntimeException e) {
            tracing.close();
            vertx.close();
            throw e;
        }
    }

    /** The token holding the master key, when --master-key pkcs11. */
    Optional<Pkcs11SealConfig> masterKeyToken() {
        if ("file".equals(masterKey)) {
            if (pkcs11.given()) {
                throw new IllegalArgumentException("--pkcs11-library is used with --master-key pkcs11 (to move the"
                        + " stored EUKeys back under master.key: cpns server migrate-master-key --to file)");
            }
            return Optional.empty();
        }
        if (!"pkcs11".equals(masterKey)) {
            throw new IllegalArgumentException("--master-key must be file or pkcs11, not " + masterKey);
        }
        return Optional.of(pkcs11.config("--master-key pkcs11"));
    }

    /** The configuration of the commands that act on this server's store while it may be stopped (reseal). */
    ServerConfig offlineConfig() {
        final ServerConfig config = storeConfig();
        final Optional<Pkcs11SealConfig> token = masterKeyToken();
        return token.isPresent() ? config.withPkcs11Seal(token.get()) : config;
    }

    /** {@link #offlineConfig()} without the master key's place (the migration names it). */
    ServerConfig storeConfig() {
        ServerConfig config = ServerConfig.defaults(data, 0);
        final Optional<PgStoreConfig> pg = postgres();
        if (pg.isPresent()) {
            config = config.withPostgres(pg.get());
        }
        if (sharedSecrets != null) {
            config = config.withSharedSecrets(sharedSecrets);
        }
        return config;
    }

    /** A usage mistake (exit 2 with the help hint) when run by the launcher. */
    private RuntimeException usage(final String message, final Throwable cause) {
        return spec == null ? new IllegalArgumentException(message, cause)
                : new picocli.CommandLine.ParameterException(spec.commandLine(), message, cause);
    }

    /** {@code start}, with PostgreSQL's refused connection or password turned into words naming the options. */
    private static <T> io.vertx.core.Future<T> storeNaming(final Optional<PgStoreConfig> pg, final io.vertx.core.Future<T> start) {
        return pg.isEmpty() ? start : start.recover(e -> io.vertx.core.Future.failedFuture(pgError(pg.get(), e)));
    }

    private static Throwable pgError(final PgStoreConfig pg, final Throwable failure) {
        final String at = pg.host() + ":" + pg.port();
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            final String m = String.valueOf(t.getMessage());
            if (t instanceof java.net.ConnectException || m.contains("Connection refused")) {
                return new CliException("cannot reach PostgreSQL at " + at + ": connection refused",
                        "start PostgreSQL there, or give its address with --pg-url (or --pg-host and --pg-port)", failure);
            }
            if (t instanceof java.net.UnknownHostException) {
                return new CliException("cannot reach PostgreSQL: unknown host " + pg.host(),
                        "check --pg-url (or --pg-host)", failure);
            }
            if (m.contains("password authentication failed") || m.contains("no password was provided")) {
                return new CliException("PostgreSQL at " + at + " refused the password of user " + pg.user(),
                        "check the password in --pg-password-file (or env CPNS_PG_PASSWORD) and the user in --pg-url"
                                + " (or --pg-user)", failure);
            }
        }
        return failure;
    }

    private Path usersFile() {
        return users == null ? data.resolve("users.htdigest") : users;
    }

    /** The deployment's realm ({@link DeploymentRealm}): generated and kept in the data folder at first start. */
    public String effectiveRealm() {
        try {
            return DeploymentRealm.resolve(data, usersFile(), Optional.ofNullable(realm).filter(r -> !r.isEmpty()));
        } catch (IOException e) {
            throw new UncheckedIOException("reading the realm in " + data + ": " + e.getMessage(), e);
        }
    }

    /** The external cloud broker: TLS with --broker-ca, else plain under the loopback rule. */
    private MqttEndpoint externalBroker(final boolean insecurePlaintext) {
        final String secret = Cli.readSecret(brokerSecretFile, "the broker secret (--broker-secret-file)");
        if (brokerCa != null) {
            return MqttEndpoint.tls(brokerHost, brokerPort, new PemTrustOptions().addCertPath(brokerCa.toString()),
                    Optional.empty(), true, Optional.of(ServerApplication.BROKER_USER), Optional.of(secret));
        }
        return insecurePlaintext ? MqttEndpoint.insecurePlain(brokerHost, brokerPort, ServerApplication.BROKER_USER, secret)
                : MqttEndpoint.plain(brokerHost, brokerPort, ServerApplication.BROKER_USER, secret);
    }

    /** The PostgreSQL store the options name, or empty for SQLite. */
    Optional<PgStoreConfig> postgres() {
        if ("sqlite".equals(store)) {
            return Optional.empty();
        }
        if (!"postgres".equals(store)) {
            throw usage("--store must be sqlite or postgres, not " + store, null);
        }
        final Optional<String> password = pgPasswordFile != null
                ? Optional.of(Cli.readSecret(pgPasswordFile, "the PostgreSQL password (--pg-password-file)"))
                : Optional.ofNullable(System.getenv("CPNS_PG_PASSWORD")).filter(p -> !p.isEmpty());
        final PgStoreConfig plain;
        try {
            plain = pgUrl != null ? PgStoreConfig.fromUrl(pgUrl, password, pgPoolSize)
                    : new PgStoreConfig(pgHost, pgPort, pgDatabase, pgUser, password, pgPoolSize);
        } catch (IllegalArgumentException e) {
            // never the URL itself: a malformed one may carry a password
            throw usage((pgUrl != null ? "--pg-url: " : "") + e.getMessage(), e);
        }
        final PgTls tls = PgTls.choose(plain.host(), Optional.ofNullable(pgSslMode).filter(m -> !m.isBlank())
                .map(PgTls.Mode::of), Optional.ofNullable(pgCaFile));
        if (tls.mode() == PgTls.Mode.DISABLE && !PgTls.isLoopback(plain.host())) {
            LoggerFactory.getLogger(ServerCommand.class).warn("PostgreSQL at {} is reached in plain text"
                    + " (--pg-ssl-mode disable): its password and the sealed EUKeys cross the network readable",
                    plain.host());
        }
        return Optional.of(plain.withTls(tls));
    }
}
