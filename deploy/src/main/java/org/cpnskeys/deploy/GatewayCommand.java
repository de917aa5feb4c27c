package org.cpnskeys.deploy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemTrustOptions;

import org.cpnskeys.gateway.GatewayApplication;
import org.cpnskeys.gateway.GatewayConfig;
import org.cpnskeys.gateway.approval.ApprovalService;
import org.cpnskeys.gateway.approval.ConsoleApproval;
import org.cpnskeys.gateway.approval.RuleBasedApproval;
import org.cpnskeys.gateway.credentials.ConsoleCredentialPrompt;
import org.cpnskeys.gateway.credentials.GatewayCredentials;
import org.cpnskeys.gateway.web.ApprovalPage;
import org.cpnskeys.gateway.web.WebPageConfig;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cpns gateway}: runs a PN GW until stopped, and its admin subcommands. */
@Command(name = "gateway", mixinStandardHelpOptions = true,
        description = {"Runs the PN GW: a TLS PAN broker for the user's PNEs, the user's approval of each Key",
                "Request, and the proxy/relay toward the CPNS Server."},
        subcommands = {GatewayEnrollCommand.class, GatewayDevicesCommand.class, GatewayRevokeCommand.class,
                GatewayReleaseCommand.class,
                GatewayCredentialsCommand.class, GatewayPanTlsCommand.class})
public final class GatewayCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    TracingOptions tracingOptions = new TracingOptions();
    @picocli.CommandLine.Mixin
    LogOptions logging = new LogOptions();

    @Option(names = "--id", defaultValue = "${env:CPNS_GATEWAY_ID:-home-gw}", description = "Gateway ID (env CPNS_GATEWAY_ID; default ${DEFAULT-VALUE}).")
    String id;

    @Option(names = "--data", defaultValue = "${env:CPNS_GATEWAY_DATA:-cpns-data/gateway}",
            description = "State folder: PAN CA, credentials (env CPNS_GATEWAY_DATA; default ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--pan-bind", defaultValue = "${env:CPNS_PAN_BIND:-127.0.0.1}", description = "PAN broker address (default ${DEFAULT-VALUE}).")
    String panBind;

    @Option(names = "--pan-port", defaultValue = "${env:CPNS_PAN_PORT:-8883}", description = "PAN broker TLS port (default ${DEFAULT-VALUE}).")
    int panPort;

    @Option(names = "--pan-host", split = ",", defaultValue = "${env:CPNS_PAN_HOSTS:-localhost,127.0.0.1}",
            description = "Names/IPs in the PAN broker's certificate (default ${DEFAULT-VALUE}).")
    List<String> panHosts;

    @picocli.CommandLine.Mixin
    GatewayCloudOptions cloudOptions = new GatewayCloudOptions();

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--approve", defaultValue = "${env:CPNS_APPROVE:-console}",
            description = {"'console' to ask on this terminal, 'web' to ask on the gateway's web page (also offers the",
                    "credential form), or rules such as 'allow:sensor-*,deny:*' (default ${DEFAULT-VALUE})."})
    String approve;

    @Option(names = "--web-bind", defaultValue = "${env:CPNS_WEB_BIND:-127.0.0.1}",
            description = "Address of the web page with --approve web (default ${DEFAULT-VALUE}; loopback: only this machine).")
    String webBind;

    @Option(names = "--web-port", defaultValue = "${env:CPNS_WEB_PORT:-8443}", description = "HTTPS port of the web page (default ${DEFAULT-VALUE}).")
    int webPort;

    @Option(names = "--web-host", split = ",", defaultValue = "${env:CPNS_WEB_HOSTS:-localhost,127.0.0.1}",
            description = "Names/IPs in the web page's certificate (default ${DEFAULT-VALUE}).")
    List<String> webHosts;

    @Option(names = "--approval-timeout", defaultValue = "${env:CPNS_APPROVAL_TIMEOUT:-PT2M}", description = "Time the user has to decide (default ${DEFAULT-VALUE}).")
    Duration approvalTimeout;

    @Option(names = "--on-missing-credentials", defaultValue = "${env:CPNS_ON_MISSING_CREDENTIALS:-drop}",
            description = "Proxy request without configured credentials: drop or prompt (R6; default ${DEFAULT-VALUE}).")
    GatewayConfig.MissingCredentials onMissing;

    @Option(names = "--realm", defaultValue = "${env:CPNS_REALM:-cpns}", description = "Digest realm (default ${DEFAULT-VALUE}).")
    String realm;

    @Option(names = "--pan-broker-host", defaultValue = "${env:CPNS_PAN_BROKER_HOST}",
            description = {"Use this external PAN broker (e.g. Mosquitto from deploy/mosquitto/pan) instead of the",
                    "embedded one; it must enforce mutual TLS and the PAN topic rules itself."})
    String panBrokerHost;

    @Option(names = "--pan-broker-port", defaultValue = "${env:CPNS_PAN_BROKER_PORT:-1884}",
            description = "The external PAN broker's port for the gateway's own connection (default ${DEFAULT-VALUE}).")
    int panBrokerPort;

    @Option(names = "--pan-broker-user", defaultValue = "${env:CPNS_PAN_BROKER_USER:-cpns-gateway}",
            description = "The gateway's user on the external PAN broker (default ${DEFAULT-VALUE}).")
    String panBrokerUser;

    @Option(names = "--pan-broker-password-file", defaultValue = "${env:CPNS_PAN_BROKER_PASSWORD_FILE}",
            description = "File with the gateway's password on the external PAN broker.")
    Path panBrokerPasswordFile;

    private MqttEndpoint externalPan() {
        if (panBrokerPasswordFile == null) {
            throw new IllegalArgumentException("--pan-broker-password-file is required with --pan-broker-host");
        }
        return MqttEndpoint.plain(panBrokerHost, panBrokerPort, panBrokerUser,
                Cli.readSecret(panBrokerPasswordFile, "the PAN broker password (--pan-broker-password-file)"));
    }

    @Option(names = "--instances", defaultValue = "${env:CPNS_GATEWAY_INSTANCES:-1}",
            description = {"Gateway verticle instances, each on its own event loop with its own PAN and cloud",
                    "connection (default 1; 0 = one per core; 1-" + GatewayConfig.MAX_INSTANCES + ")."})
    int instances;

    @picocli.CommandLine.Mixin
    ManagementOptions management = new ManagementOptions();

    @Override
    public Integer call() {
        final GatewayCloudOptions.Resolved link;
        try {
            link = cloudOptions.resolve(id, matched("--id"), realm, matched("--realm"));
        } catch (IllegalArgumentException e) {
            // the options are missing or conflict: a usage mistake (exit 2, with the help hint)
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        final GatewayId gatewayId = link.gatewayId();
        final GatewayConfig config = new GatewayConfig(gatewayId, data, panBind, panPort, panHosts, link.cloud(),
                link.realm(), onMissing,
                approvalTimeout, 2, Duration.ofSeconds(5), 3, MessageCodec.DEFAULT_MAX_PAYLOAD_BYTES,
                panBrokerHost == null ? Optional.empty() : Optional.of(externalPan()), Optional.empty(), instances);
        final List<ListenPorts.Port> listening = new java.util.ArrayList<>(List.of(management.listenPort(9101)));
        if (panBrokerHost == null) {
            listening.add(new ListenPorts.Port("--pan-port", panBind, panPort));
        }
        if ("web".equalsIgnoreCase(approve)) {
            listening.add(new ListenPorts.Port("--web-port", webBind, webPort));
        }
        final ListenPorts ports = ListenPorts.of(listening).ensureFree();
        final Vertx vertx = Observability.vertx();
        final TracingOptions.Opened tracing = tracingOptions.open("gateway");
        try {
            final GatewayApplication app;
            if ("web".equalsIgnoreCase(approve)) {
                final ApprovalPage page = new ApprovalPage(vertx, new WebPageConfig(webBind, webPort, webHosts,
                        WebPageConfig.DEFAULT_CREDENTIAL_PROMPT_TIMEOUT));
                app = Cli.await(ports.naming(GatewayApplication.start(vertx, config, page, Observability.gatewayMetrics(),
                        tracing.tracing())),
                        "starting the PN GW");
                System.out.println("Approval page: " + page.url().orElseThrow() + " (log in with the admin secret in "
                        + page.secretFile().orElseThrow() + "; the page's certificate is issued by the PAN CA)");
            } else {
                final ApprovalService approval = "console".equalsIgnoreCase(approve)
                        ? new ConsoleApproval(vertx, new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), System.out)
                        : RuleBasedApproval.parse(approve);
                app = Cli.await(ports.naming(GatewayApplication.start(vertx, config, approval,
                        ConsoleCredentialPrompt.system(vertx), Observability.gatewayMetrics(), tracing.tracing())),
                        "starting the PN GW");
            }
            System.out.println("PAN CA fingerprint: " + app.certificateAuthority().caFingerprint());
            management.start(9101, (host, port) -> Observability.serve(vertx, host, port, app));
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

    private boolean matched(final String option) {
        return spec != null && spec.commandLine().getParseResult() != null
                && spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    static PemTrustOptions trust(final String pem) {
        return new PemTrustOptions().addCertValue(Buffer.buffer(pem));
    }
}
