package org.cpnskeys.deploy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.UnaryOperator;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.PfxOptions;

import org.cpnskeys.gateway.GatewayApplication;
import org.cpnskeys.gateway.GatewayConfig;
import org.cpnskeys.gateway.GatewayMetrics;
import org.cpnskeys.gateway.approval.ApprovalService;
import org.cpnskeys.gateway.approval.ConsentSigner;
import org.cpnskeys.gateway.credentials.CredentialPrompt;
import org.cpnskeys.protocol.tls.IssuedIdentity;
import org.cpnskeys.gateway.web.ApprovalPage;
import org.cpnskeys.pne.LoginPrompt;
import org.cpnskeys.pne.PneConfig;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.ConsentSignature;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;
import org.cpnskeys.protocol.trace.Tracing;
import org.cpnskeys.server.OperationsConfig;
import org.cpnskeys.server.ServerApplication;
import org.cpnskeys.server.ServerConfig;
import org.cpnskeys.server.ServerMetrics;
import org.cpnskeys.server.auth.HtdigestFile;

/**
 * A whole CPNS deployment in one process: the CPNS Server with its embedded cloud broker, one PN GW with its
 * TLS PAN broker, a user, and PNE identities issued by the gateway. Used by {@code cpns demo} and by the
 * end-to-end tests; every part is the production class, wired as separate processes would wire it.
 */
public final class LocalSystem {
    public static final String REALM = ServerConfig.DEFAULT_REALM;

    private final Vertx vertx;
    private final Path dir;
    private final ServerApplication server;
    private final GatewayApplication gateway;
    private final UserId user;
    private final char[] password;
    private final int panPort;

    private LocalSystem(final Vertx vertx, final Path dir, final ServerApplication server,
            final GatewayApplication gateway, final UserId user, final char[] password, final int panPort) {
        this.panPort = panPort;
        this.vertx = vertx;
        this.dir = dir;
        this.server = server;
        this.gateway = gateway;
        this.user = user;
        this.password = password;
    }

    /**
     * A cloud broker run elsewhere (a container, Mosquitto): the server and the gateway connect to it with
     * these credentials instead of the server embedding one; the server on {@code serverPort} (the shipped Mosquitto
     * configuration gives the servers their own listener), the gateway on {@code port}.
     */
    public record ExternalCloud(String host, int port, int serverPort, String serverSecret, String gatewayToken,
            Optional<String> caPem) {
        /** A broker reached with TLS, trusting {@code caPem}, with host name verification; one port for all. */
        public ExternalCloud(final String host, final int port, final String serverSecret, final String gatewayToken,
                final String caPem) {
            this(host, port, port, serverSecret, gatewayToken, Optional.of(caPem));
        }

        /** A plain broker whose one port serves gateways and servers: loopback only ({@link org.cpnskeys.protocol.mqtt.PlaintextPolicy}). */
        public ExternalCloud(final String host, final int port, final String serverSecret, final String gatewayToken) {
            this(host, port, port, serverSecret, gatewayToken, Optional.empty());
        }

        /** A TLS broker with a listener of its own for the servers. */
        public ExternalCloud(final String host, final int port, final int serverPort, final String serverSecret,
                final String gatewayToken, final String caPem) {
            this(host, port, serverPort, serverSecret, gatewayToken, Optional.of(caPem));
        }

        /** The gateway's endpoint. */
        MqttEndpoint endpoint(final String user, final String password) {
            return endpoint(port, user, password);
        }

        /** The servers' endpoint. */
        MqttEndpoint serverEndpoint(final String user, final String password) {
            return endpoint(serverPort, user, password);
        }

        private MqttEndpoint endpoint(final int p, final String user, final String password) {
            return caPem.map(ca -> MqttEndpoint.tls(host, p, new PemTrustOptions().addCertValue(Buffer.buffer(ca)),
                    Optional.empty(), true, Optional.of(user), Optional.of(password)))
                    .orElseGet(() -> MqttEndpoint.plain(host, p, user, password));
        }
    }

    /**
     * A PAN broker run elsewhere: the gateway's own connection to it, and the TLS port PNEs use (on
     * localhost), whose certificate the broker got from the gateway's PAN CA.
     */
    public record ExternalPan(MqttEndpoint gateway, int pneTlsPort) {
    }

    /** Options of a local system; {@link #defaults()} suits the demo. */
    public record Options(GatewayId gatewayId, UserId user, boolean configureGatewayCredentials,
            GatewayConfig.MissingCredentials onMissingCredentials, Duration approvalTimeout, Duration cloudTimeout,
            int cloudAttempts, Duration nonceLifetime, Optional<ExternalCloud> externalCloud,
            Optional<ExternalPan> externalPan, UnaryOperator<GatewayConfig> customizeGateway,
            OperationsConfig serverOperations, UnaryOperator<ServerConfig> customizeServer) {
        /** Options whose server configuration is not customized. */
        public Options(final GatewayId gatewayId, final UserId user, final boolean configureGatewayCredentials,
                final GatewayConfig.MissingCredentials onMissingCredentials, final Duration approvalTimeout,
                final Duration cloudTimeout, final int cloudAttempts, final Duration nonceLifetime,
                final Optional<ExternalCloud> externalCloud, final Optional<ExternalPan> externalPan,
                final UnaryOperator<GatewayConfig> customizeGateway, final OperationsConfig serverOperations) {
            this(gatewayId, user, configureGatewayCredentials, onMissingCredentials, approvalTimeout, cloudTimeout,
                    cloudAttempts, nonceLifetime, externalCloud, externalPan, customizeGateway, serverOperations,
                    UnaryOperator.identity());
        }

        /** The server's configuration changed by {@code customize} (after the other options are applied). */
        public Options withServerConfig(final UnaryOperator<ServerConfig> customize) {
            return new Options(gatewayId, user, configureGatewayCredentials, onMissingCredentials, approvalTimeout,
                    cloudTimeout, cloudAttempts, nonceLifetime, externalCloud, externalPan, customizeGateway,
                    serverOperations, customize);
        }

        public static Options defaults() {
            return new Options(GatewayId.of("home-gw"), UserId.of("alice"), true, GatewayConfig.MissingCredentials.DROP,
                    Duration.ofSeconds(30), Duration.ofSeconds(3), 3, ServerConfig.DEFAULT_NONCE_LIFETIME,
                    Optional.empty(), Optional.empty(), UnaryOperator.identity(), OperationsConfig.NONE);
        }

        public Options withExternalCloud(final ExternalCloud cloud) {
            return new Options(gatewayId, user, configureGatewayCredentials, onMissingCredentials, approvalTimeout,
                    cloudTimeout, cloudAttempts, nonceLifetime, Optional.of(cloud), externalPan, customizeGateway, serverOperations, customizeServer);
        }

        public Options withExternalPan(final ExternalPan pan) {
            return new Options(gatewayId, user, configureGatewayCredentials, onMissingCredentials, approvalTimeout,
                    cloudTimeout, cloudAttempts, nonceLifetime, externalCloud, Optional.of(pan), customizeGateway, serverOperations, customizeServer);
        }

        public Options withoutGatewayCredentials(final GatewayConfig.MissingCredentials onMissing) {
            return new Options(gatewayId, user, false, onMissing, approvalTimeout, cloudTimeout, cloudAttempts,
                    nonceLifetime, externalCloud, externalPan, customizeGateway, serverOperations, customizeServer);
        }

        public Options withApprovalTimeout(final Duration d) {
            return new Options(gatewayId, user, configureGatewayCredentials, onMissingCredentials, d, cloudTimeout,
                    cloudAttempts, nonceLifetime, externalCloud, externalPan, customizeGateway, serverOperations, customizeServer);
        }

        public Options withNonceLifetime(final Duration d) {
            return new Options(gatewayId, user, configureGatewayCredentials, onMissingCredentials, approvalTimeout,
                    cloudTimeout, cloudAttempts, d, externalCloud, externalPan, customizeGateway, serverOperations, customizeServer);
        }

        /** The server's admin API and request rate limit (default: neither). */
        public Options withServerOperations(final OperationsConfig operations) {
            return new Options(gatewayId, user, configureGatewayCredentials, onMissingCredentials, approvalTimeout,
                    cloudTimeout, cloudAttempts, nonceLifetime, externalCloud, externalPan, customizeGateway, operations, customizeServer);
        }

        /** The gateway's configuration changed by {@code customize} (after the other options are applied). */
        public Options withGatewayConfig(final UnaryOperator<GatewayConfig> customize) {
            return new Options(gatewayId, user, configureGatewayCredentials, onMissingCredentials, approvalTimeout,
                    cloudTimeout, cloudAttempts, nonceLifetime, externalCloud, externalPan, customize, serverOperations, customizeServer);
        }
    }

    /**
     * Starts everything under {@code dir}: adds the user (random password) to the server's htdigest file,
     * starts the server, registers the gateway, starts it and, when asked, configures the user's credentials
     * on it (F0).
     */
    public static Future<LocalSystem> start(final Vertx vertx, final Path dir, final Options options,
            final ApprovalService approval, final CredentialPrompt prompt) {
        return start(vertx, dir, options, ServerMetrics.NOOP, cfg -> GatewayApplication.start(vertx, cfg, approval, prompt));
    }

    /** Like {@link #start(Vertx, Path, Options, ApprovalService, CredentialPrompt)}, reporting to these metrics. */
    public static Future<LocalSystem> start(final Vertx vertx, final Path dir, final Options options,
            final ApprovalService approval, final CredentialPrompt prompt, final ServerMetrics serverMetrics,
            final GatewayMetrics gatewayMetrics) {
        return start(vertx, dir, options, serverMetrics,
                cfg -> GatewayApplication.start(vertx, cfg, approval, prompt, gatewayMetrics));
    }

    /**
     * Like {@link #start(Vertx, Path, Options, ApprovalService, CredentialPrompt)}, the gateway tracing with
     * {@code gatewayTracing} (the server's tracing is in {@link Options#serverOperations()}).
     */
    public static Future<LocalSystem> start(final Vertx vertx, final Path dir, final Options options,
            final ApprovalService approval, final CredentialPrompt prompt, final Tracing gatewayTracing) {
        return start(vertx, dir, options, ServerMetrics.NOOP,
                cfg -> GatewayApplication.start(vertx, cfg, approval, prompt, GatewayMetrics.NOOP, gatewayTracing));
    }

    /**
     * Like {@link #start(Vertx, Path, Options, ApprovalService, CredentialPrompt)}, with the gateway's web page
     * asking the user (approval and, when configured to prompt, credentials).
     */
    public static Future<LocalSystem> start(final Vertx vertx, final Path dir, final Options options,
            final ApprovalPage page) {
        return start(vertx, dir, options, ServerMetrics.NOOP, cfg -> GatewayApplication.start(vertx, cfg, page));
    }

    private static Future<LocalSystem> start(final Vertx vertx, final Path dir, final Options options,
            final ServerMetrics serverMetrics, final Function<GatewayConfig, Future<GatewayApplication>> startGateway) {
        final char[] password = randomPassword();
        final Path serverDir = dir.resolve("server");
        final ServerConfig embedded = ServerConfig.defaults(serverDir, 0).withNonceLifetime(options.nonceLifetime());
        final ServerConfig serverConfig = options.externalCloud().map(c -> new ServerConfig(serverDir,
                embedded.htdigestFile(), embedded.realm(), Optional.empty(),
                Optional.of(c.serverEndpoint(ServerApplication.BROKER_USER, c.serverSecret())),
                Optional.of(c.serverSecret()), embedded.nonceLifetime(), embedded.instances(), embedded.maxPayloadBytes(),
                embedded.htdigestCheckInterval(), Optional.empty(), Optional.empty())).map(options.customizeServer())
                .orElse(options.customizeServer().apply(embedded));
        return vertx.executeBlocking(() -> {
            HtdigestFile.addOrReplace(serverConfig.htdigestFile(), options.user(), REALM, password);
            return null;
        }).compose(v -> ServerApplication.start(vertx, serverConfig, serverMetrics,
                options.serverOperations())).compose(server -> cloudEndpoint(vertx, server, options)
                .compose(cloud -> {
                    final GatewayConfig base = GatewayConfig.defaults(options.gatewayId(), dir.resolve("gateway"), 0, cloud);
                    final GatewayConfig gwConfig = options.externalPan().map(p -> base.withExternalPan(p.gateway())).orElse(base)
                            .withMissingCredentials(options.onMissingCredentials())
                            .withApprovalTimeout(options.approvalTimeout())
                            .withCloudTimeout(options.cloudTimeout(), options.cloudAttempts())
                            .withRealm(REALM);
                    return startGateway.apply(options.customizeGateway().apply(gwConfig));
                })
                .compose(gateway -> vertx.executeBlocking(() -> {
                    if (options.configureGatewayCredentials()) {
                        gateway.credentials().set(options.user(), REALM, password);
                    }
                    // as 'cpns server add-gateway --consent-key' does: the server verifies the gateway's receipts
                    server.gateways().consentKeys().register(options.gatewayId(), ConsentSignature.parsePublicKey(
                            Files.readString(dir.resolve("gateway").resolve(ConsentSigner.PUBLIC_FILE)), "consent key"));
                    return new LocalSystem(vertx, dir, server, gateway, options.user(), password,
                            options.externalPan().map(ExternalPan::pneTlsPort).orElseGet(gateway::panPort));
                })));
    }

    /** The gateway's way to the cloud: registered on the embedded broker, or the given external one. */
    private static Future<MqttEndpoint> cloudEndpoint(final Vertx vertx, final ServerApplication server,
            final Options options) {
        if (options.externalCloud().isPresent()) {
            final ExternalCloud c = options.externalCloud().get();
            return Future.succeededFuture(c.endpoint(options.gatewayId().value(), c.gatewayToken()));
        }
        return vertx.executeBlocking(() -> server.registerGateway(options.gatewayId()))
                .map(token -> server.cloudEndpoint(options.gatewayId().value(), token));
    }

    /** Issues a PAN identity for a PNE and builds its configuration: proxy when {@code login} is empty. */
    public Future<PneConfig> pne(final EntityId entity, final Optional<LoginPrompt> login,
            final Optional<String> description) {
        return vertx.executeBlocking(() -> {
            final IssuedIdentity identity = gateway.enroll(entity);
            final char[] p12Password = randomPassword();
            final MqttEndpoint pan = MqttEndpoint.tls("localhost", panPort,
                    new PemTrustOptions().addCertValue(Buffer.buffer(gateway.certificateAuthority().caCertificatePem())),
                    Optional.of(new PfxOptions().setValue(Buffer.buffer(identity.toPkcs12(p12Password)))
                            .setPassword(new String(p12Password))),
                    true, Optional.empty(), Optional.empty());
            return new PneConfig(entity, pan, login, dir.resolve("pne").resolve(entity.value() + "-eukey.p12"),
                    randomPassword(), Duration.ofSeconds(5), 4, description, Optional.empty());
        });
    }

    /** The user's login as typed on a PNE with UI. */
    public LoginPrompt typedLogin() {
        return LoginPrompt.fixed(user, password);
    }

    /** The TLS port PNEs use on localhost (the embedded or the external PAN broker's). */
    public int panPort() {
        return panPort;
    }

    public ServerApplication server() {
        return server;
    }

    public GatewayApplication gateway() {
        return gateway;
    }

    public UserId user() {
        return user;
    }

    /** The user's password: for tests that must play the user (never printed). */
    public char[] password() {
        return password.clone();
    }

    public Path dir() {
        return dir;
    }

    public Future<Void> stop() {
        return gateway.stop().transform(x -> server.stop()).onComplete(x -> java.util.Arrays.fill(password, '\0'));
    }

    static char[] randomPassword() {
        final byte[] b = new byte[18];
        new SecureRandom().nextBytes(b);
        return new String(Base64.getUrlEncoder().withoutPadding().encode(b), StandardCharsets.US_ASCII).toCharArray();
    }
}
