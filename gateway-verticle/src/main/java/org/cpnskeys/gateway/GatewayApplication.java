package org.cpnskeys.gateway;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.broker.BrokerAccessPolicy;
import org.cpnskeys.broker.BrokerConfig;
import org.cpnskeys.broker.EmbeddedBroker;
import org.cpnskeys.broker.HashedSecrets;
import org.cpnskeys.broker.PanAccessPolicy;
import org.cpnskeys.broker.TcpListenerConfig;
import org.cpnskeys.broker.TlsListenerConfig;
import org.cpnskeys.gateway.approval.ApprovalService;
import org.cpnskeys.gateway.approval.ConsentSigner;
import org.cpnskeys.gateway.credentials.CredentialPrompt;
import org.cpnskeys.gateway.credentials.GatewayCredentials;
import org.cpnskeys.gateway.keys.SharedState;
import org.cpnskeys.gateway.keys.UserSide;
import org.cpnskeys.gateway.pan.DeviceRegister;
import org.cpnskeys.protocol.tls.IssuedIdentity;
import org.cpnskeys.gateway.pan.PanCertificateAuthority;
import org.cpnskeys.gateway.pan.PanCrlRenewal;
import org.cpnskeys.gateway.web.ApprovalPage;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.crypto.SecretFiles;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;
import org.cpnskeys.protocol.trace.Tracing;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires one PN GW: its PAN CA (generated on first start, owner-only), the PAN broker with mutual TLS for PNEs
 * and a loopback listener for the gateway itself, the user's credentials (HA1 only), and the
 * {@link GatewayVerticle}. The only place that deploys gateway verticles.
 */
public final class GatewayApplication {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayApplication.class);
    /** The gateway's own user name on its PAN broker (loopback listener only). */
    public static final String PAN_INTERNAL_USER = "cpns-gateway";
    public static final Duration CA_VALIDITY = Duration.ofDays(3650);
    public static final Duration SERVER_CERT_VALIDITY = Duration.ofDays(825);
    public static final Duration DEVICE_CERT_VALIDITY = Duration.ofDays(825);
    /**
     * How often the device register is checked for changes made by other processes ({@code cpns gateway revoke}):
     * a revoked device connected to the embedded PAN broker is disconnected within this time and a moment.
     */
    public static final long REGISTER_RELOAD_MS = 250;

    private final Vertx vertx;
    private final GatewayConfig config;
    private final ApprovalService approval;
    private final CredentialPrompt prompt;
    private final Optional<ApprovalPage> page;
    private final DeviceDirectory devices;
    private final GatewayHealth health = new GatewayHealth();
    private GatewayMetrics metrics = GatewayMetrics.NOOP;
    private Tracing tracing = Tracing.OFF;
    private final List<String> deployments = new ArrayList<>();
    private PanCertificateAuthority ca;
    private DeviceRegister register;
    private volatile long registerTimer = -1;
    private volatile long crlTimer = -1;
    private volatile long releaseTimer = -1;
    private SharedState shared;
    private GatewayCredentials credentials;
    private volatile EmbeddedBroker broker;
    private ApprovedJournal journal;
    private ConsentSigner consent;

    private GatewayApplication(final Vertx vertx, final GatewayConfig config, final ApprovalService approval,
            final CredentialPrompt prompt, final Optional<ApprovalPage> page) {
        this.devices = config.externalPan().isPresent() ? DeviceDirectory.trustingExternalBroker()
                : new DeviceDirectory();
        this.vertx = vertx;
        this.config = config;
        this.approval = approval;
        this.prompt = prompt;
        this.page = page;
    }

    public static Future<GatewayApplication> start(final Vertx vertx, final GatewayConfig config,
            final ApprovalService approval, final CredentialPrompt prompt) {
        return start(vertx, config, approval, prompt, GatewayMetrics.NOOP);
    }

    /** Starts a gateway that reports to {@code metrics}. */
    public static Future<GatewayApplication> start(final Vertx vertx, final GatewayConfig config,
            final ApprovalService approval, final CredentialPrompt prompt, final GatewayMetrics metrics) {
        return start(vertx, config, approval, prompt, Optional.empty(), metrics, Tracing.OFF);
    }

    /**
     * Starts the gateway with its user-facing web page: the page's approval and credential prompt are used, its
     * HTTPS certificate is issued by the PAN CA and its admin secret is created in the data folder on first start.
     */
    public static Future<GatewayApplication> start(final Vertx vertx, final GatewayConfig config,
            final ApprovalPage page) {
        return start(vertx, config, page, GatewayMetrics.NOOP);
    }

    /** Starts the gateway with its web page, reporting to {@code metrics}. */
    public static Future<GatewayApplication> start(final Vertx vertx, final GatewayConfig config,
            final ApprovalPage page, final GatewayMetrics metrics) {
        return start(vertx, config, page, metrics, Tracing.OFF);
    }

    /** Starts the gateway with its web page, reporting to {@code metrics} and tracing with {@code tracing}. */
    public static Future<GatewayApplication> start(final Vertx vertx, final GatewayConfig config,
            final ApprovalPage page, final GatewayMetrics metrics, final Tracing tracing) {
        return start(vertx, config, page.approval(), page.prompt(), Optional.of(page), metrics, tracing);
    }

    /** Starts a gateway that reports to {@code metrics} and traces with {@code tracing}. */
    public static Future<GatewayApplication> start(final Vertx vertx, final GatewayConfig config,
            final ApprovalService approval, final CredentialPrompt prompt, final GatewayMetrics metrics, final Tracing tracing) {
        return start(vertx, config, approval, prompt, Optional.empty(), metrics, tracing);
    }

    private static Future<GatewayApplication> start(final Vertx vertx, final GatewayConfig config,
            final ApprovalService approval, final CredentialPrompt prompt, final Optional<ApprovalPage> page,
            final GatewayMetrics metrics, final Tracing tracing) {
        final GatewayApplication app = new GatewayApplication(vertx, config, approval, prompt, page);
        app.metrics = metrics;
        app.tracing = tracing;
        return app.doStart().map(app).recover(e -> app.stop().transform(x -> Future.failedFuture(e)));
    }

    private Future<Void> doStart() {
        if (config.externalPan().isPresent()) {
            return vertx.executeBlocking(() -> {
                prepareState();
                return null;
            }).compose(v -> deploy(config.externalPan().get()));
        }
        final String internalPassword = randomToken();
        return vertx.executeBlocking(this::preparePan)
                .compose(pan -> startBroker(pan, internalPassword))
                .compose(v -> deploy(MqttEndpoint.plain("127.0.0.1", broker.tcpPort(), PAN_INTERNAL_USER,
                        internalPassword)));
    }

    /** The PAN CA and the user's credentials: what the gateway needs with any PAN broker. */
    private Path prepareState() throws Exception {
        org.cpnskeys.protocol.crypto.X25519.warmUp(); // the proxy's key pairs are made on the event loop
        final Path dir = SecretFiles.ownerOnlyDirectory(config.dataDir());
        ca = PanCertificateAuthority.loadOrCreate(dir.resolve("pan-ca"), config.gatewayId().value(), CA_VALIDITY);
        credentials = GatewayCredentials.open(dir.resolve("credentials"));
        register = DeviceRegister.open(dir);
        devices.useRegister(register);
        registerTimer = RegisterWatch.watch(vertx, register, () -> broker);
        releaseTimer = ReleaseRequests.watch(vertx, config.dataDir(), this::release);
        startCrlRenewal(new PanCrlRenewal(dir, ca, register, Clock.systemUTC()));
        journal = ApprovedJournal.open(dir, new MessageCodec(config.maxPayloadBytes()));
        consent = ConsentSigner.batching(dir, config.gatewayId(), ConsentSigner.channelOf(approval, page.isPresent()),
                ConsentSigner.DEFAULT_LINGER);
        return dir;
    }

    /**
     * Re-issues the CRL files an external PAN broker reads before they lapse: now (blocking, at start) and every
     * {@link PanCrlRenewal#CHECK_EVERY} on a worker.
     */
    private void startCrlRenewal(final PanCrlRenewal renewal) throws java.io.IOException {
        logRenewed(renewal.renewIfDue());
        crlTimer = vertx.setPeriodic(PanCrlRenewal.CHECK_EVERY.toMillis(), t -> vertx.executeBlocking(renewal::renewIfDue)
                .onSuccess(GatewayApplication::logRenewed)
                .onFailure(e -> LOG.warn("cannot re-issue the PAN CRL files: {}", e.getMessage())));
    }

    private static void logRenewed(final List<Path> files) {
        if (!files.isEmpty()) {
            LOG.info("PAN CRL re-issued (valid {} days) in {}", PanCertificateAuthority.CRL_VALIDITY.toDays(), files);
        }
    }

    private record PanFiles(Path keyStore, Path trustStore, String password) {
    }

    private PanFiles preparePan() throws Exception {
        final Path dir = prepareState();
        final List<String> ips = config.panHostNames().stream().filter(GatewayApplication::isIp).collect(Collectors.toList());
        final List<String> dns = config.panHostNames().stream().filter(h -> !isIp(h)).collect(Collectors.toList());
        final IssuedIdentity server = ca.issueServer(dns, ips, SERVER_CERT_VALIDITY);
        final String password = randomToken();
        final Path tls = SecretFiles.ownerOnlyDirectory(dir.resolve("pan-broker-tls"));
        final Path keyStore = tls.resolve("server.p12");
        final Path trustStore = tls.resolve("trust.p12");
        server.writePkcs12(keyStore, password.toCharArray());
        ca.writeTrustStore(trustStore, password.toCharArray());
        if (page.isPresent()) {
            page.get().prepare(ca, register, dir);
        }
        return new PanFiles(keyStore, trustStore, password);
    }

    private Future<Void> startBroker(final PanFiles pan, final String internalPassword) {
        final PanAccessPolicy pan0 = new PanAccessPolicy(PAN_INTERNAL_USER, HashedSecrets.of(Map.of(PAN_INTERNAL_USER,
                HashedSecrets.sha256(internalPassword.getBytes(StandardCharsets.US_ASCII)))),
                certificate -> !register.isRevoked(certificate));
        final PanAccessPolicy panPolicy = config.insecurePanPnePasswords().map(pan0::withInsecurePnePasswords).orElse(pan0);
        if (config.insecurePanPnePasswords().isPresent()) {
            LOG.warn("INSECURE: the PAN broker lets PNEs in without a client certificate (by password); their proxy"
                    + " Key Requests are refused (R4)");
        }
        final BrokerAccessPolicy policy = new RecordingPolicy(panPolicy, devices);
        final BrokerConfig brokerConfig = new BrokerConfig(config.dataDir().resolve("pan-broker"),
                Optional.of(new TcpListenerConfig("127.0.0.1", 0)),
                Optional.of(new TlsListenerConfig(config.panBindAddress(), config.panTlsPort(), pan.keyStore(),
                        pan.password(), pan.password(), pan.trustStore(), pan.password(), true)),
                BrokerConfig.DEFAULT_MAX_INFLIGHT_PER_CLIENT, BrokerConfig.DEFAULT_MAX_PACKET_SIZE_BYTES);
        broker = EmbeddedBroker.create(brokerConfig, policy);
        return broker.start(vertx)
                .onSuccess(v -> LOG.info("PAN broker (mutual TLS) listening on {}:{}", config.panBindAddress(),
                        broker.tlsPort()));
    }

    /** The owner's release of {@code entity} (PROTOCOL.md 2.3): the page's "remove this device", 'gateway release'. */
    public Future<org.cpnskeys.protocol.StatusReport> release(final EntityId entity) {
        return shared == null ? Future.succeededFuture(org.cpnskeys.protocol.StatusReport.of(Optional.empty(),
                Optional.of(entity), org.cpnskeys.protocol.Status.UNAVAILABLE, "the gateway is not running"))
                : shared.release(entity);
    }

    private Future<Void> deploy(final MqttEndpoint panEndpoint) {
        final MessageCodec codec = new MessageCodec(config.maxPayloadBytes());
        final KeyRequestOutcomes outcomes = page.<KeyRequestOutcomes>map(ApprovalPage::pageApproval)
                .orElse(KeyRequestOutcomes.NOOP);
        final SharedState shared = new SharedState(Optional.of(journal), config.instances());
        this.shared = shared;
        page.ifPresent(p -> p.releaseWith(this::release));
        final UserSide user = new UserSide(approval, credentials::current, prompt, devices, outcomes, Optional.of(consent));
        final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        health.instances(config.instances());
        return vertx.deployVerticle(() -> new GatewayVerticle(config, panEndpoint, user, codec, shared,
                        next.getAndIncrement()).observedBy(metrics, health).tracedBy(tracing),
                        new DeploymentOptions().setInstances(config.instances()))
                .onSuccess(deployments::add)
                .compose(id -> page.isEmpty() ? Future.<String>succeededFuture() : vertx.deployVerticle(() -> page.get()
                        .newVerticle(credentials, config.gatewayId(), config.realm()), new DeploymentOptions()
                        .setInstances(1)).onSuccess(deployments::add))
                .<Void>mapEmpty()
                .onSuccess(v -> LOG.info("PN GW {} ready on PAN broker {} ({} instances){}", config.gatewayId(),
                        panEndpoint, config.instances(),
                        credentials.current().map(c -> " (credentials of user " + c.userId() + " configured)")
                                .orElse(" (no user credentials configured)")));
    }

    /** Issues a PAN identity for a device (CN = its Entity ID) and records it in the device register. Blocking. */
    public IssuedIdentity enroll(final EntityId entity) {
        final IssuedIdentity identity = ca.issueDevice(entity, DEVICE_CERT_VALIDITY);
        try {
            register.add(identity.certificate(), entity, DeviceRegister.Method.GENERATED);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot record the enrolled device in " + register.file(), e);
        }
        return identity;
    }

    /** The register of enrolled device certificates (revocation is read from it at every PNE CONNECT). */
    public DeviceRegister deviceRegister() {
        return register;
    }

    /**
     * The PAN broker's plain TCP port on loopback: the gateway's own client, and PNEs only when
     * {@link GatewayConfig#insecurePanPnePasswords()} is set.
     */
    public int panPlainPort() {
        return broker.tcpPort();
    }

    /** Connections and pending approvals, for readiness checks and gauges. */
    public GatewayHealth health() {
        return health;
    }

    public PanCertificateAuthority certificateAuthority() {
        return ca;
    }

    public GatewayCredentials credentials() {
        return credentials;
    }

    /** The embedded PAN broker's TLS port (for PNEs); with an external PAN broker, that broker's business. */
    public int panPort() {
        if (broker == null) {
            throw new IllegalStateException("the PAN broker is external: its TLS port is in its own configuration");
        }
        return broker.tlsPort();
    }

    public GatewayConfig config() {
        return config;
    }

    /** The user's web page, when the gateway runs one. */
    public Optional<ApprovalPage> page() {
        return page;
    }

    public Future<Void> stop() {
        page.ifPresent(ApprovalPage::close);
        if (releaseTimer >= 0) {
            vertx.cancelTimer(releaseTimer);
            releaseTimer = -1;
        }
        if (registerTimer >= 0) {
            vertx.cancelTimer(registerTimer);
            registerTimer = -1;
        }
        if (crlTimer >= 0) {
            vertx.cancelTimer(crlTimer);
            crlTimer = -1;
        }
        final List<Future<?>> steps = new ArrayList<>();
        for (final String id : deployments) {
            steps.add(vertx.undeploy(id));
        }
        deployments.clear();
        return Future.join(steps).onComplete(x -> {
            if (shared != null) {
                shared.close(); // zeroes the proxy's ephemeral private keys
            }
            if (consent != null) {
                consent.close();
            }
        }).transform(x -> broker == null ? Future.<Void>succeededFuture()
                : Future.fromCompletionStage(broker.stop()).<Void>mapEmpty().recover(e -> Future.succeededFuture()))
                .eventually(() -> journal == null ? Future.succeededFuture() : vertx.executeBlocking(() -> {
                    journal.close();
                    return null;
                }));
    }

    private static boolean isIp(final String host) {
        return host.matches("[0-9.]+") || host.contains(":");
    }

    private static String randomToken() {
        final byte[] b = new byte[24];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
