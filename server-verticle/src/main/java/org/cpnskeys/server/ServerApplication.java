package org.cpnskeys.server;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.PemTrustOptions;

import org.cpnskeys.broker.BrokerConfig;
import org.cpnskeys.broker.CloudAccessPolicy;
import org.cpnskeys.broker.CloudTls;
import org.cpnskeys.broker.EmbeddedBroker;
import org.cpnskeys.broker.HashedSecrets;
import org.cpnskeys.broker.TcpListenerConfig;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.SecretFiles;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;
import org.cpnskeys.server.admin.AdminApi;
import org.cpnskeys.server.admin.AdminToken;
import org.cpnskeys.server.auth.AttemptGate;
import org.cpnskeys.server.auth.AttemptPolicy;
import org.cpnskeys.server.auth.DigestRealm;
import org.cpnskeys.server.auth.FailureLimiter;
import org.cpnskeys.server.auth.NonceService;
import org.cpnskeys.server.seal.StoredKeyResealer;
import org.cpnskeys.server.seal.StoredKeySealer;
import org.cpnskeys.server.store.EuKeyRepository;
import org.cpnskeys.server.store.PgEuKeyRepository;
import org.cpnskeys.server.store.SqliteEuKeyRepository;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires one CPNS Server: secrets (generated at first start, owner-only), the durable EUKey store, the users'
 * htdigest realm, the cloud broker (embedded or external), N {@link KeyRequestVerticle}s and, when configured
 * ({@link OperationsConfig}), the admin API and the per-gateway request rate limit. The only place
 * that deploys server verticles.
 */
public final class ServerApplication {
    private static final Logger LOG = LoggerFactory.getLogger(ServerApplication.class);
    /** The server's user name on the cloud broker. */
    public static final String BROKER_USER = "cpns-server";
    /** How often the store's expired digest uses and failure windows are deleted. */
    static final java.time.Duration PURGE_EVERY = java.time.Duration.ofMinutes(1);
    /** How long after its nonce expired a used (nonce, nc) pair is kept: clocks of servers may differ by this. */
    static final java.time.Duration PURGE_GRACE = java.time.Duration.ofMinutes(2);

    private final Vertx vertx;
    private final ServerConfig config;
    private final List<String> deployments = new ArrayList<>();
    private EuKeyRepository store;
    private DigestRealm realm;
    private EmbeddedBroker broker;
    private GatewayRegistry gateways;
    private MqttEndpoint endpoint;
    private KeyAssignmentService service;
    private ServerMetrics metrics = ServerMetrics.NOOP;
    private final java.util.concurrent.atomic.AtomicInteger connectedInstances = new java.util.concurrent.atomic.AtomicInteger();
    private ServerSeals seals;
    private StoredKeySealer sealer;
    private AuditLog audit = AuditLog.NONE;
    private OperationsConfig operations = OperationsConfig.NONE;
    private AdminToken adminToken;
    private HttpServer admin;
    private FailureLimiter failures;
    private CloudTls.Prepared cloudTls;
    private long purgeTimer = -1;
    private KeyAgreementCache agreements;
    private long rotationTimer = -1;

    private ServerApplication(final Vertx vertx, final ServerConfig config) {
        this.vertx = vertx;
        this.config = config;
    }

    /** Starts a server; fails (and releases what it started) if any part fails. */
    public static Future<ServerApplication> start(final Vertx vertx, final ServerConfig config) {
        return start(vertx, config, ServerMetrics.NOOP);
    }

    /** Starts a server that reports to {@code metrics}. */
    public static Future<ServerApplication> start(final Vertx vertx, final ServerConfig config,
            final ServerMetrics metrics) {
        return start(vertx, config, metrics, OperationsConfig.NONE);
    }

    /** Starts a server that reports to {@code metrics}, with its admin API and rate limit as {@code operations} says. */
    public static Future<ServerApplication> start(final Vertx vertx, final ServerConfig config,
            final ServerMetrics metrics, final OperationsConfig operations) {
        final ServerApplication app = new ServerApplication(vertx, config);
        app.metrics = metrics;
        app.operations = operations;
        return app.doStart().map(app).recover(e -> app.stop().transform(x -> Future.failedFuture(e)));
    }

    private Future<Void> doStart() {
        return vertx.executeBlocking(this::prepareSecrets)
                .compose(secrets -> openStore(vertx, config)
                        // the audit log must match the head the store keeps before anything is appended
                        .map(s -> store = s).compose(s -> audit.anchor(vertx, s))
                        // before any delivery: a key under a retired seal is bound to less of its row
                        .compose(v -> new StoredKeyResealer(vertx, store, sealer, StoredKeyResealer.DEFAULT_BATCH).run())
                        .compose(resealed -> DigestRealm.load(vertx, config.htdigestFile(), config.realm()))
                        .compose(r -> {
                            realm = r;
                            return startBroker(secrets.brokerPassword());
                        })
                        .compose(v -> deploy(secrets))
                        .compose(v -> startAdmin()))
                // ready only once everything listens, the admin API included (scripts and tests wait for this line)
                .onSuccess(v -> LOG.info("CPNS Server ready: realm {}, {} instance(s)", config.realm(), config.instances()));
    }

    private Future<Void> startAdmin() {
        if (operations.adminBind().isEmpty()) {
            return Future.succeededFuture();
        }
        return new AdminApi(vertx, adminToken, store, config.htdigestFile(), realm, audit, failures,
                java.util.Optional.of(new org.cpnskeys.server.admin.KeyCheckValues(vertx, store, sealer)))
                .showingConsentWith(gateways.consentKeys())
                .listen(operations.adminBind().get(), operations.adminPort())
                .onSuccess(s -> admin = s)
                .recover(e -> Future.failedFuture(new IllegalStateException("admin API on "
                        + operations.adminBind().get() + ":" + operations.adminPort() + ": " + e.getMessage(), e)))
                .mapEmpty();
    }

    /** The store the configuration names, opened (and its schema migrated). */
    static Future<? extends EuKeyRepository> openStore(final Vertx vertx, final ServerConfig config) {
        if (config.postgres().isPresent()) {
            return PgEuKeyRepository.open(vertx, config.postgres().get());
        }
        return SqliteEuKeyRepository.open(vertx, config.dataDir().resolve("eukeys.db"));
    }

    private record Secrets(SecretBytes nonceKey, String brokerPassword) {
    }

    /** The embedded broker's TLS files and the cloud CA; blocking, and only when TLS is on. */
    private void prepareCloudTls() throws java.io.IOException {
        final ServerConfig.BrokerAddress address = config.embeddedBroker().get();
        if (address.tls().insecurePlaintext()) {
            org.cpnskeys.protocol.mqtt.PlaintextPolicy.check(address.bindAddress(), true, "cloud broker listener");
            LOG.warn("INSECURE: the cloud broker listens WITHOUT TLS on {} (--insecure-plaintext)", address.bindAddress());
            return;
        }
        cloudTls = CloudTls.prepare(config.dataDir(), config.dataDir().resolve("cloud-broker").resolve("tls"),
                address.bindAddress(), address.port(), address.tls());
    }

    private Secrets prepareSecrets() throws Exception {
        SecretFiles.ownerOnlyDirectory(config.dataDir());
        seals = ServerSeals.forServer(config);
        final SecretBytes nonceKey = ServerKeyFiles.loadKey(config, ServerConfig.NONCE_KEY_FILE);
        gateways = GatewayRegistry.open(config.dataDir().resolve("gateways"));
        audit = AuditLog.open(config.dataDir().resolve("audit.jsonl"));
        sealer = new StoredKeySealer(seals.seals(), UnopenableKeyReport.of(metrics, audit));
        LOG.info("stored EUKeys sealed with {}", seals.seals().current().describe());
        if (operations.adminBind().isPresent()) {
            adminToken = AdminToken.loadOrCreate(adminTokenFile());
        }
        if (!Files.exists(config.htdigestFile())) {
            throw new IllegalStateException("no users yet: " + config.htdigestFile()
                    + " does not exist (add one with: cpns user add --file " + config.htdigestFile() + " --realm "
                    + config.realm() + " <user>)");
        }
        final String brokerPassword;
        if (config.embeddedBroker().isPresent()) {
            brokerPassword = ServerKeyFiles.embeddedBrokerPassword(config);
            prepareCloudTls();
        } else {
            brokerPassword = config.externalBrokerSecret().orElse(null);
        }
        return new Secrets(nonceKey, brokerPassword);
    }

    private Future<Void> startBroker(final String brokerPassword) {
        if (config.embeddedBroker().isEmpty()) {
            endpoint = config.externalBroker().get();
            return Future.succeededFuture();
        }
        final ServerConfig.BrokerAddress address = config.embeddedBroker().get();
        final CloudAccessPolicy policy = new CloudAccessPolicy(
                HashedSecrets.of(Map.of(BROKER_USER, HashedSecrets.sha256(brokerPassword.getBytes(StandardCharsets.US_ASCII)))),
                gateways);
        final BrokerConfig brokerConfig = new BrokerConfig(config.dataDir().resolve("cloud-broker"),
                cloudTls == null ? Optional.of(new TcpListenerConfig(address.bindAddress(), address.port()))
                        : Optional.empty(),
                cloudTls == null ? Optional.empty() : Optional.of(cloudTls.listener()),
                BrokerConfig.DEFAULT_MAX_INFLIGHT_PER_CLIENT, BrokerConfig.DEFAULT_MAX_PACKET_SIZE_BYTES);
        broker = EmbeddedBroker.create(brokerConfig, policy);
        return broker.start(vertx).onSuccess(v -> {
            final String host = isWildcard(address.bindAddress()) ? "127.0.0.1" : address.bindAddress();
            // The in-process client pins the broker's own certificate (stronger than a host name check, and it
            // works with an operator's certificate that names only the public host name).
            // plain only when the operator said --insecure-plaintext (warned at start)
            endpoint = cloudTls == null ? MqttEndpoint.insecurePlain(host, broker.tcpPort(), BROKER_USER, brokerPassword)
                    : MqttEndpoint.tls(host, broker.tlsPort(), new PemTrustOptions().addCertValue(
                            Buffer.buffer(cloudTls.brokerCertificatePem())), Optional.empty(), false,
                            Optional.of(BROKER_USER), Optional.of(brokerPassword));
            if (cloudTls == null) {
                LOG.warn("INSECURE: cloud broker listening on {}:{} WITHOUT TLS", address.bindAddress(), cloudPort());
            } else {
                LOG.info("cloud broker listening on {}:{} (TLS); cloud CA fingerprint {}", address.bindAddress(),
                        cloudPort(), cloudTls.cloudCa().caFingerprint());
            }
        });
    }

    private Future<Void> deploy(final Secrets secrets) {
        // the first X25519 key pair loads BouncyCastle's precomputed tables: not on the event loop
        return vertx.executeBlocking(() -> new KeyAgreementCache(vertx, KeyAgreementCache.DEFAULT_WINDOW,
                KeyAgreementCache.DEFAULT_MAX_PEERS, Clock.systemUTC())).compose(a -> deploy(secrets, a));
    }

    private Future<Void> deploy(final Secrets secrets, final KeyAgreementCache keyAgreement) {
        failures = new FailureLimiter(vertx, Clock.systemUTC());
        final NonceService nonces = new NonceService(secrets.nonceKey(), config.nonceLifetime(), Clock.systemUTC());
        agreements = keyAgreement;
        // a window's private key is zeroed soon after the window ends, even when no request comes
        rotationTimer = vertx.setPeriodic(1000, t -> agreements.rotateIfDue());
        final AttemptGate attempts = new AttemptGate(store, AttemptPolicy.DEFAULT, Clock.systemUTC());
        service = new KeyAssignmentService(config.realm(), nonces, realm, store, sealer, config.nonceLifetime(),
                Clock.systemUTC(), attempts, audit, agreements);
        final KeyReleaseService releases = new KeyReleaseService(config.realm(), nonces, realm, store, attempts, audit);
        purgeTimer = vertx.setPeriodic(PURGE_EVERY.toMillis(), id -> purge());
        service.setMetrics(metrics);
        service.setRateLimiter(new RequestRateLimiter(vertx, Clock.systemUTC(), operations.gatewayRequestsPerSecond()));
        service.setConsentKeys(gateways.consentKeys().watch(vertx), vertx);
        final MessageCodec codec = new MessageCodec(config.maxPayloadBytes());
        return vertx.deployVerticle(() -> new KeyRequestVerticle(endpoint, service, releases, codec, connectedInstances)
                        .tracedBy(operations.tracing()),
                        new DeploymentOptions().setInstances(config.instances()))
                .onSuccess(deployments::add)
                .mapEmpty();
    }

    /**
     * Deletes the store's records of used (nonce, nc) pairs whose nonces expired more than {@link #PURGE_GRACE} ago
     * (a server whose clock runs behind still refuses those nonces as stale) and the ended failure windows. Every
     * member of a cluster does it; it is idempotent.
     */
    private void purge() {
        store.purge(java.time.Instant.now().minus(PURGE_GRACE))
                .onSuccess(n -> LOG.debug("purged {} expired digest uses and failure windows", n))
                .onFailure(e -> LOG.warn("purging expired digest uses failed (retried in {}): {}", PURGE_EVERY,
                        e.getMessage()));
    }

    /** Registers a PN GW on the cloud broker and returns its token (shown once, stored hashed). Blocking. */
    public String registerGateway(final GatewayId gateway) throws java.io.IOException {
        return gateways.register(gateway);
    }

    /** Ready: every request-handling instance is connected to the cloud broker. */
    public boolean ready() {
        return !deployments.isEmpty() && connectedInstances.get() >= config.instances();
    }

    /** How many request-handling instances are connected to the cloud broker now. */
    public int connectedInstances() {
        return connectedInstances.get();
    }

    private static boolean isWildcard(final String bind) {
        return "0.0.0.0".equals(bind) || "::".equals(bind);
    }

    /** The embedded cloud broker's port: its TLS listener, or its plain one with --insecure-plaintext. */
    public int cloudPort() {
        return cloudTls == null ? broker.tcpPort() : broker.tlsPort();
    }

    /** The embedded cloud broker's TLS set-up (cloud CA, broker certificate); empty when it listens plain. */
    public Optional<CloudTls.Prepared> cloudTls() {
        return Optional.ofNullable(cloudTls);
    }

    /**
     * How a client on this machine reaches the embedded cloud broker as {@code user}: TLS to {@code 127.0.0.1},
     * trusting the cloud CA, with host name verification (plain when the broker is plain).
     */
    public MqttEndpoint cloudEndpoint(final String user, final String password) {
        final String host = "127.0.0.1";
        if (cloudTls == null) {
            return MqttEndpoint.plain(host, cloudPort(), user, password);
        }
        return MqttEndpoint.tls(host, cloudPort(), new PemTrustOptions().addCertValue(
                Buffer.buffer(cloudTls.cloudCa().caCertificatePem())), Optional.empty(), true,
                Optional.ofNullable(user), Optional.ofNullable(password));
    }

    /** The key check value of the entity's active EUKey (see {@link KeyAssignmentService#keyCheckValue}). */
    public Future<Optional<String>> keyCheckValue(final org.cpnskeys.protocol.EntityId entity) {
        return service.keyCheckValue(entity);
    }

    /** The key check value of the EUKey assigned for one request (active or superseded). */
    public Future<Optional<String>> keyCheckValue(final org.cpnskeys.protocol.EntityId entity,
            final org.cpnskeys.protocol.RequestId request) {
        return service.keyCheckValue(entity, request);
    }

    /** How many Key Requests this server took up so far: in a cluster, its share of the shared subscription. */
    public long handledRequests() {
        return service == null ? 0 : service.handledRequests();
    }

    /** The admin API's port, once it listens (see {@link OperationsConfig}). */
    public Optional<Integer> adminPort() {
        return Optional.ofNullable(admin).map(HttpServer::actualPort);
    }

    /** The file holding the admin API's token: {@value AdminToken#FILE} in the data folder. */
    public Path adminTokenFile() {
        return config.dataDir().resolve(AdminToken.FILE);
    }

    /** The PN GWs registered on the cloud broker, with their consent keys. */
    public GatewayRegistry gateways() {
        return gateways;
    }

    public EuKeyRepository store() {
        return store;
    }

    public ServerConfig config() {
        return config;
    }

    public Future<Void> stop() {
        if (purgeTimer >= 0) {
            vertx.cancelTimer(purgeTimer);
            purgeTimer = -1;
        }
        if (gateways != null) {
            gateways.consentKeys().stopWatching();
        }
        final List<Future<?>> steps = new ArrayList<>();
        for (final String id : deployments) {
            steps.add(vertx.undeploy(id));
        }
        deployments.clear();
        if (admin != null) {
            steps.add(admin.close());
            admin = null;
        }
        return Future.join(steps)
                .transform(x -> broker == null ? Future.succeededFuture()
                        : Future.fromCompletionStage(broker.stop()).recover(e -> Future.succeededFuture()))
                .transform(x -> realm == null ? Future.succeededFuture() : realm.close())
                // the audit log first: its last head goes to the store before the store closes
                .transform(x -> vertx.executeBlocking(() -> {
                    audit.close();
                    return null;
                }))
                .transform(x -> store == null ? Future.succeededFuture() : store.close())
                .transform(x -> {
                    if (seals != null) {
                        seals.close();
                    }
                    if (agreements != null) {
                        vertx.cancelTimer(rotationTimer);
                        agreements.close();
                    }
                    return Future.<Void>succeededFuture();
                });
    }
}
