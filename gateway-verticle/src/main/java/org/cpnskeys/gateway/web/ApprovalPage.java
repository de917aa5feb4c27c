package org.cpnskeys.gateway.web;

import io.vertx.core.Vertx;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

import org.cpnskeys.gateway.approval.ApprovalService;
import org.cpnskeys.gateway.approval.PageApproval;
import org.cpnskeys.gateway.credentials.CredentialPrompt;
import org.cpnskeys.gateway.credentials.GatewayCredentials;
import org.cpnskeys.gateway.credentials.PageCredentialPrompt;
import org.cpnskeys.protocol.tls.IssuedIdentity;
import org.cpnskeys.gateway.pan.DeviceRegister;
import org.cpnskeys.gateway.pan.PanCertificateAuthority;
import org.cpnskeys.protocol.GatewayId;

/**
 * The gateway's local web page for its user: live pending Key Requests with Approve / Deny, a history, and the
 * credential form (R6). Build one, give {@link #approval()} and {@link #prompt()} to the gateway, and pass the page
 * itself to {@code GatewayApplication.start}, which prepares its certificate and secret and deploys its verticle.
 */
public final class ApprovalPage {
    /** The admin secret's file name in the gateway's data folder. */
    public static final String SECRET_FILE = "admin-secret";
    public static final Duration CERT_VALIDITY = Duration.ofDays(825);

    private final Vertx vertx;
    private final WebPageConfig config;
    private final PageApproval approval;
    private final PageCredentialPrompt prompt;
    private final LoginThrottle throttle = new LoginThrottle();
    private volatile Prepared prepared;
    private volatile int port;
    private volatile java.util.function.Function<org.cpnskeys.protocol.EntityId,
            io.vertx.core.Future<org.cpnskeys.protocol.StatusReport>> releaser = entity -> io.vertx.core.Future
                    .succeededFuture(org.cpnskeys.protocol.StatusReport.of(Optional.empty(), Optional.of(entity),
                            org.cpnskeys.protocol.Status.UNAVAILABLE, "the gateway is not running"));

    /**
     * What {@link #prepare} made: the page's TLS identity (PKCS#12 in memory) and the admin secret; and the PAN CA
     * and device register the page enrols devices with.
     */
    record Prepared(byte[] pkcs12, String pkcs12Password, AdminSecret secret, PanCertificateAuthority ca,
            DeviceRegister register) {
    }

    public ApprovalPage(final Vertx vertx, final WebPageConfig config) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.config = Objects.requireNonNull(config, "config");
        this.approval = new PageApproval(vertx);
        this.prompt = new PageCredentialPrompt(vertx, config.credentialPromptTimeout());
    }

    public ApprovalService approval() {
        return approval;
    }

    public PageApproval pageApproval() {
        return approval;
    }

    public CredentialPrompt prompt() {
        return prompt;
    }

    public WebPageConfig config() {
        return config;
    }

    /**
     * Issues the page's HTTPS certificate from the gateway's PAN CA and loads (or creates, owner-only) the admin
     * secret in {@code dataDir}; the page enrols devices with {@code ca} into the gateway's own {@code register}
     * (one instance per file in a process: its file lock is the JVM's). Blocking: called by the gateway on a worker.
     */
    public void prepare(final PanCertificateAuthority ca, final DeviceRegister register, final Path dataDir)
            throws IOException {
        final List<String> ips = config.hostNames().stream().filter(ApprovalPage::isIp).collect(Collectors.toList());
        final List<String> dns = config.hostNames().stream().filter(h -> !isIp(h)).collect(Collectors.toList());
        final IssuedIdentity identity = ca.issueServer(dns, ips, CERT_VALIDITY);
        final byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        final String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        prepared = new Prepared(identity.toPkcs12(password.toCharArray()), password,
                AdminSecret.loadOrCreate(dataDir.resolve(SECRET_FILE)), ca, register);
    }

    /** A fresh verticle serving the page (after {@link #prepare}). */
    public ApprovalPageVerticle newVerticle(final GatewayCredentials credentials, final GatewayId gatewayId,
            final String realm) {
        if (prepared == null) {
            throw new IllegalStateException("prepare the approval page first");
        }
        return new ApprovalPageVerticle(this, prepared, credentials, gatewayId, realm);
    }

    /** How the page's "remove this device" releases a device (the gateway sets it when it starts). */
    public void releaseWith(final java.util.function.Function<org.cpnskeys.protocol.EntityId,
            io.vertx.core.Future<org.cpnskeys.protocol.StatusReport>> release) {
        this.releaser = Objects.requireNonNull(release, "release");
    }

    io.vertx.core.Future<org.cpnskeys.protocol.StatusReport> release(final org.cpnskeys.protocol.EntityId entity) {
        return releaser.apply(entity);
    }

    PageCredentialPrompt pagePrompt() {
        return prompt;
    }

    LoginThrottle throttle() {
        return throttle;
    }

    void listening(final int actualPort) {
        port = actualPort;
    }

    /** The page's address once it listens, e.g. {@code https://localhost:8443/}. */
    public Optional<String> url() {
        if (port == 0) {
            return Optional.empty();
        }
        final String host = config.hostNames().contains("localhost") ? "localhost" : config.hostNames().get(0);
        return Optional.of("https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "/");
    }

    /** The file holding the admin secret (shown to the user; the secret itself is not). */
    public Optional<Path> secretFile() {
        return Optional.ofNullable(prepared).map(p -> p.secret().file());
    }

    /** Stops asking: pending requests fail (the PNEs retry later). */
    public void close() {
        approval.close();
    }

    private static boolean isIp(final String host) {
        return host.matches("[0-9.]+") || host.contains(":");
    }
}
