package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.pne.EuKeyStore;
import org.cpnskeys.pne.LoginPrompt;
import org.cpnskeys.pne.PneApplication;
import org.cpnskeys.pne.PneConfig;
import org.cpnskeys.pne.PneOutcome;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.trace.HopSpan;
import org.cpnskeys.protocol.trace.OtelTracing;
import org.cpnskeys.protocol.trace.Tracing;
import org.cpnskeys.server.OperationsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tracing across the hops ([L] 4): PNE, PN GW and CPNS Server each with an OpenTelemetry SDK of their own (as
 * three processes would have) and an in-memory exporter, over the real embedded brokers. The only link between
 * their spans is the {@code traceparent} in the messages, so spans that join into one trace prove it travels.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TracingAcrossHopsIT {
    private static final Set<String> ATTRIBUTES = Set.of(HopSpan.ENTITY_ID, HopSpan.REQUEST_ID, HopSpan.GATEWAY_ID,
            HopSpan.OUTCOME, HopSpan.STATUS_CODE);

    @TempDir
    static Path dir;
    static final Vertx VERTX = Vertx.vertx();
    static final Role PNE = new Role();
    static final Role GATEWAY = new Role();
    static final Role SERVER = new Role();
    static LocalSystem system;

    /** One role's SDK and what it exported. */
    static final class Role {
        final InMemorySpanExporter spans = InMemorySpanExporter.create();
        final SdkTracerProvider provider = SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(spans)).build();
        final Tracing tracing = new OtelTracing(OpenTelemetrySdk.builder().setTracerProvider(provider).build());

        List<SpanData> of(final String traceId) {
            return spans.getFinishedSpanItems().stream().filter(s -> s.getTraceId().equals(traceId)).toList();
        }

        List<SpanData> named(final String traceId, final String name) {
            return of(traceId).stream().filter(s -> s.getName().equals(name)).toList();
        }

        SpanData one(final String traceId, final String name) {
            final List<SpanData> found = named(traceId, name);
            assertEquals(1, found.size(), () -> "spans " + name + " in trace " + traceId + ": " + found);
            return found.get(0);
        }
    }

    /** A system whose server and gateway trace with these ({@link Tracing#OFF}: not at all). */
    static LocalSystem traced(final Vertx vertx, final Path dir, final Tracing server, final Tracing gateway) {
        return Fixture.await(LocalSystem.start(vertx, dir, LocalSystem.Options.defaults()
                        .withServerOperations(OperationsConfig.NONE.withTracing(server)),
                new ScriptedApproval(), (realm, why) -> Future.succeededFuture(Optional.empty()), gateway));
    }

    /** Stops the system (if it started), its Vert.x and the roles' SDKs. */
    static void close(final LocalSystem system, final Vertx vertx, final Role... roles) {
        if (system != null) {
            Fixture.await(system.stop());
        }
        vertx.close();
        for (final Role role : roles) {
            role.provider.close();
        }
    }

    @BeforeAll
    static void start() {
        system = traced(VERTX, dir, SERVER.tracing, GATEWAY.tracing);
    }

    @AfterAll
    static void stop() {
        close(system, VERTX, PNE, GATEWAY, SERVER);
    }

    private static PneConfig config(final String entity, final Optional<LoginPrompt> login) {
        return Fixture.await(system.pne(EntityId.of(entity), login, Optional.of("traced " + entity)));
    }

    private static PneOutcome run(final PneConfig config) {
        final PneOutcome o = Fixture.await(PneApplication.requestKey(VERTX, config, PNE.tracing));
        assertTrue(o.stored(), o.reason());
        return o;
    }

    /** The PNE's assignment span (a root); waits until the three roles exported the whole trace. */
    private static SpanData assignment(final String entity) {
        final java.util.function.Supplier<List<SpanData>> roots = () -> PNE.spans.getFinishedSpanItems().stream()
                .filter(s -> entity.equals(s.getAttributes().get(AttributeKey.stringKey(HopSpan.ENTITY_ID)))).toList();
        Fixture.eventually(Duration.ofSeconds(10), "the PNE's span", () -> roots.get().size() == 1);
        final SpanData root = roots.get().get(0);
        Fixture.eventually(Duration.ofSeconds(10), "the server's and the gateway's spans",
                () -> SERVER.named(root.getTraceId(), "server.wrap").size() == 1
                        && GATEWAY.named(root.getTraceId(), "gateway.key-request").size() == 1);
        return root;
    }

    /**
     * What both flows share: PNE -> gateway request span -> {@code exchanges} cloud exchanges -> one server span
     * each, the one that delivered with its authentication, store and wrapping.
     */
    private static void assertOneTrace(final String entity, final SpanData root, final int cloudExchanges) {
        final String trace = root.getTraceId();
        assertEquals("pne.assignment", root.getName());
        assertFalse(root.getParentSpanContext().isValid(), "the PNE's assignment is the root of the trace");
        assertEquals(SpanKind.CLIENT, root.getKind());

        final SpanData gateway = GATEWAY.one(trace, "gateway.key-request");
        assertEquals(root.getSpanId(), gateway.getParentSpanId(), "the gateway's span is a child of the PNE's");
        assertTrue(gateway.getParentSpanContext().isRemote(), "parented from the message, not from a shared context");
        assertEquals(SpanKind.SERVER, gateway.getKind());
        assertEquals(gateway.getSpanId(), GATEWAY.one(trace, "gateway.approval").getParentSpanId());

        final List<SpanData> exchanges = GATEWAY.named(trace, "gateway.cloud-exchange");
        assertEquals(cloudExchanges, exchanges.size(), "exchanges with the server: " + exchanges);
        exchanges.forEach(x -> assertEquals(gateway.getSpanId(), x.getParentSpanId()));

        final List<SpanData> requests = SERVER.named(trace, "server.key-request");
        assertEquals(cloudExchanges, requests.size(), "one server span per Key Request: " + requests);
        assertEquals(exchanges.stream().map(SpanData::getSpanId).collect(Collectors.toSet()),
                requests.stream().map(SpanData::getParentSpanId).collect(Collectors.toSet()),
                "each server span is a child of the gateway's exchange that sent its request");
        final SpanData delivered = requests.stream().filter(r -> "delivered".equals(r.getAttributes()
                .get(AttributeKey.stringKey(HopSpan.OUTCOME)))).findFirst().orElseThrow();
        for (final String step : List.of("server.authentication", "server.store", "server.wrap")) {
            assertEquals(delivered.getSpanId(), SERVER.one(trace, step).getParentSpanId(), step);
        }
        assertEquals(200L, delivered.getAttributes().get(AttributeKey.longKey(HopSpan.STATUS_CODE)));
        assertEquals("home-gw", delivered.getAttributes().get(AttributeKey.stringKey(HopSpan.GATEWAY_ID)));

        for (final Role role : List.of(PNE, GATEWAY, SERVER)) {
            role.spans.getFinishedSpanItems().stream()
                    .filter(s -> entity.equals(s.getAttributes().get(AttributeKey.stringKey(HopSpan.ENTITY_ID))))
                    .forEach(s -> assertEquals(trace, s.getTraceId(), "every span of " + entity + " in one trace"));
        }
    }

    @Test
    @DisplayName("proxy flow: the spans of PNE, gateway and server join into one trace with the right parents")
    void proxyFlow_spansOfAllThreeRolesJoinIntoOneTrace() {
        run(config("trace-bulb", Optional.empty()));
        final SpanData root = assignment("trace-bulb");
        // the first proxy request meets a challenge; a later one is answered at once with the cached nonce
        final int exchanges = GATEWAY.named(root.getTraceId(), "gateway.cloud-exchange").size();
        assertTrue(exchanges == 1 || exchanges == 2, "exchanges: " + exchanges);
        assertOneTrace("trace-bulb", root, exchanges);
        assertEquals(Set.of("pne.assignment"), PNE.of(root.getTraceId()).stream().map(SpanData::getName)
                .collect(Collectors.toSet()));
    }

    @Test
    @DisplayName("PNE with UI: the PNE's answer to the relayed challenge continues the same trace")
    void uiFlow_spansOfAllThreeRolesJoinIntoOneTrace() {
        run(config("trace-phone", Optional.of(system.typedLogin())));
        // the PNE's request meets the server's challenge, relayed; its answer is the second exchange
        assertOneTrace("trace-phone", assignment("trace-phone"), 2);
    }

    @Test
    @DisplayName("no span attribute of any role carries a secret of the run; only the five known attributes exist")
    void noSpanAttribute_carriesASecret() throws Exception {
        final PneConfig proxy = config("secret-bulb", Optional.empty());
        final PneConfig ui = config("secret-phone", Optional.of(system.typedLogin()));
        run(proxy);
        run(ui);
        assignment("secret-bulb");
        assignment("secret-phone");

        final List<String> secrets = new ArrayList<>();
        secrets.add(new String(system.password()));
        secrets.add(DigestClient.ha1(system.user().value(), LocalSystem.REALM, system.password()).hex());
        for (final PneConfig c : List.of(proxy, ui)) {
            try (SecretBytes key = EuKeyStore.load(c.keyStore(), c.keyStorePassword(), c.entityId())) {
                final byte[] raw = key.reveal();
                secrets.add(HexFormat.of().formatHex(raw));
                secrets.add(Base64.getEncoder().encodeToString(raw));
                secrets.add(Base64.getUrlEncoder().withoutPadding().encodeToString(raw));
                java.util.Arrays.fill(raw, (byte) 0);
            }
            secrets.add(new String(c.keyStorePassword()));
        }
        int checked = 0;
        for (final Role role : List.of(PNE, GATEWAY, SERVER)) {
            for (final SpanData s : role.spans.getFinishedSpanItems()) {
                for (final Map.Entry<AttributeKey<?>, Object> a : s.getAttributes().asMap().entrySet()) {
                    assertTrue(ATTRIBUTES.contains(a.getKey().getKey()), "unexpected attribute " + a.getKey());
                    final String value = String.valueOf(a.getValue());
                    for (final String secret : secrets) {
                        assertFalse(value.contains(secret) || secret.contains(value) && value.length() >= 8,
                                s.getName() + " attribute " + a.getKey() + " carries a secret of the run");
                    }
                    checked++;
                }
                assertTrue(s.getEvents().isEmpty(), "no events (an exception's message could carry anything)");
            }
        }
        assertTrue(checked > 40, "attributes checked: " + checked);
    }
}
