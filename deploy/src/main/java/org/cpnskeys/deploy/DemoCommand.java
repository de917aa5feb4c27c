package org.cpnskeys.deploy;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.gateway.approval.RuleBasedApproval;
import org.cpnskeys.gateway.credentials.CredentialPrompt;
import org.cpnskeys.gateway.pan.PanCertificateAuthority;
import org.cpnskeys.gateway.web.ApprovalPage;
import org.cpnskeys.gateway.web.WebPageConfig;
import org.cpnskeys.pne.LoginPrompt;
import org.cpnskeys.pne.PneApplication;
import org.cpnskeys.pne.PneOutcome;
import org.cpnskeys.protocol.EntityId;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cpns demo}: the whole flow in one JVM, three PNEs, a final table, exit 0 only if all hold their keys. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Starts the CPNS Server with its cloud broker, a PN GW with its TLS PAN broker and three PNEs",
                "(two without UI, one with UI) in one JVM; the gateway approves by rule (or you do, on its web page, Prints each step and a",
                "with --interactive). Prints each step and a final table; exits 0 only if all three PNEs hold their",
                "EUKeys, matching the server's."})
public final class DemoCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    LogOptions logging = new LogOptions();

    @Option(names = "--data", description = "Folder for all state (default: a new temporary folder, removed afterwards).")
    Path data;

    @Option(names = "--approve", defaultValue = "allow:*",
            description = "Approval rule of the gateway, e.g. 'allow:*' or 'allow:sensor-*,deny:*' (default: ${DEFAULT-VALUE}).")
    String approve;

    @Option(names = "--interactive",
            description = {"You approve each PNE yourself on the gateway's web page (HTTPS on 127.0.0.1): the demo prints",
                    "the page's address and its admin secret, and waits up to 10 minutes for your decisions."})
    boolean interactive;

    @Option(names = "--web-port", defaultValue = "8443",
            description = "Port of the gateway's web page with --interactive (default: ${DEFAULT-VALUE}; 0 = any free port).")
    int webPort;

    private static final Duration INTERACTIVE_WAIT = Duration.ofMinutes(10);

    private record Pne(EntityId entity, String description, boolean ui) {
    }

    @Override
    public Integer call() throws Exception {
        final PrintStream out = System.out;
        final long t0 = System.nanoTime();
        final boolean temporary = data == null;
        final Path dir = temporary ? Files.createTempDirectory("cpns-demo-") : data;
        final Vertx vertx = Cli.newVertx();
        LocalSystem system = null;
        try {
            out.println("== CPNS Keys demo: starting the CPNS Server, the PN GW and three PNEs");
            final CredentialPrompt noPrompt = (realm, why) -> Future.succeededFuture(Optional.empty());
            if (interactive) {
                final ApprovalPage page = new ApprovalPage(vertx, WebPageConfig.loopback(webPort));
                system = Cli.await(LocalSystem.start(vertx, dir, LocalSystem.Options.defaults()
                        .withApprovalTimeout(INTERACTIVE_WAIT), page), "starting the server and the gateway");
                printPage(out, system, page);
            } else {
                system = Cli.await(LocalSystem.start(vertx, dir, LocalSystem.Options.defaults(),
                        RuleBasedApproval.parse(approve), noPrompt), "starting the server and the gateway");
            }
            out.printf("== F0 user %s's ID and password are configured in PN GW %s (HA1 only)%n", system.user(),
                    LocalSystem.Options.defaults().gatewayId());
            final List<Pne> pnes = List.of(
                    new Pne(EntityId.of("sensor-1"), "temperature sensor (no UI)", false),
                    new Pne(EntityId.of("bulb-1"), "smart bulb (no UI)", false),
                    new Pne(EntityId.of("phone-1"), "phone (UI: the user types ID and password)", true));
            final List<Future<PneOutcome>> outcomes = new ArrayList<>();
            for (final Pne p : pnes) {
                final LocalSystem s = system;
                outcomes.add(system.pne(p.entity(), p.ui() ? Optional.<LoginPrompt>of(s.typedLogin()) : Optional.empty(),
                        Optional.of(p.description())).compose(cfg -> PneApplication.requestKey(vertx, cfg)));
            }
            if (interactive) {
                out.println("== the PNEs are asking: approve or deny them on the page (each request waits "
                        + INTERACTIVE_WAIT.toMinutes() + " minutes)");
            }
            Cli.await(Future.join(outcomes), "the PNEs' Key Requests", interactive
                    ? INTERACTIVE_WAIT.plusMinutes(1) : Duration.ofSeconds(120));
            int ok = 0;
            out.println();
            out.printf("%-10s %-6s %-6s %-34s %-10s %-10s%n", "PNE", "mode", "status", "key id", "PNE KCV", "server KCV");
            for (int i = 0; i < pnes.size(); i++) {
                final PneOutcome o = outcomes.get(i).result();
                final Optional<String> serverKcv = Cli.await(system.server().keyCheckValue(o.entityId()), "reading the store");
                final boolean match = o.stored() && serverKcv.equals(o.keyCheckValue());
                if (match) {
                    ok++;
                }
                out.printf("%-10s %-6s %-6d %-34s %-10s %-10s%s%n", o.entityId(), pnes.get(i).ui() ? "UI" : "proxy",
                        o.status(), o.keyId().map(Object::toString).orElse("-"), o.keyCheckValue().orElse("-"),
                        serverKcv.orElse("-"), match ? "" : "  <- " + o.reason());
            }
            out.printf("%n== %d of %d PNEs hold their EUKeys (%.1f s)%n", ok, pnes.size(), (System.nanoTime() - t0) / 1e9);
            return ok == pnes.size() ? 0 : 1;
        } finally {
            if (system != null) {
                Cli.await(system.stop(), "stopping");
            }
            Cli.await(vertx.close(), "closing");
            if (temporary) {
                deleteTree(dir);
            }
        }
    }

    private static void printPage(final PrintStream out, final LocalSystem system, final ApprovalPage page)
            throws IOException {
        final Path secretFile = page.secretFile().orElseThrow();
        out.println();
        out.println("== The gateway's approval page: " + page.url().orElseThrow());
        out.println("   Its certificate comes from the gateway's own PAN CA (fingerprint "
                + system.gateway().certificateAuthority().caFingerprint() + "), which your browser does not know:");
        out.println("   accept the warning, or import " + system.gateway().config().dataDir().resolve("pan-ca")
                .resolve(PanCertificateAuthority.CERTIFICATE_FILE) + " as a trusted authority.");
        out.println("   Admin secret file: " + secretFile);
        // Shown once, on this terminal only (never logged): this demo's gateway lives in a temporary folder.
        out.println("   ADMIN SECRET (for this demo only; type it into the page): "
                + Files.readString(secretFile, StandardCharsets.UTF_8).strip());
        out.println();
    }

    private static void deleteTree(final Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
