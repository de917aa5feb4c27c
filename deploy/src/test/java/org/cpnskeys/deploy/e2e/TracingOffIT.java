package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vertx.core.Vertx;

import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.pne.PneApplication;
import org.cpnskeys.pne.PneOutcome;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.trace.HopSpan;
import org.cpnskeys.protocol.trace.Tracing;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway with tracing off (the default) between a PNE and a server that trace: it makes no span, passes on the
 * PNE's {@code traceparent} unchanged, and sends none when the PNE sent none. The server's spans show what arrived:
 * a child of the PNE's span, or a root.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TracingOffIT {
    @TempDir
    static Path dir;
    static final Vertx VERTX = Vertx.vertx();
    static final TracingAcrossHopsIT.Role PNE = new TracingAcrossHopsIT.Role();
    static final TracingAcrossHopsIT.Role SERVER = new TracingAcrossHopsIT.Role();
    static LocalSystem system;

    @BeforeAll
    static void start() {
        system = TracingAcrossHopsIT.traced(VERTX, dir, SERVER.tracing, Tracing.OFF);
    }

    @AfterAll
    static void stop() {
        TracingAcrossHopsIT.close(system, VERTX, PNE, SERVER);
    }

    private static void run(final String entity, final Tracing pneTracing) {
        final PneOutcome o = Fixture.await(PneApplication.requestKey(VERTX, Fixture.await(system.pne(
                EntityId.of(entity), Optional.empty(), Optional.empty())), pneTracing));
        assertTrue(o.stored(), o.reason());
    }

    private static List<SpanData> of(final TracingAcrossHopsIT.Role role, final String entity, final String name) {
        return role.spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)
                && entity.equals(s.getAttributes().get(AttributeKey.stringKey(HopSpan.ENTITY_ID)))).toList();
    }

    @Test
    @DisplayName("gateway off, PNE traced: the server's spans are children of the PNE's, through the gateway")
    void gatewayOff_pneTraced_theGatewayPassesThePnesTraceparentOn() {
        run("off-gw-bulb", PNE.tracing);
        Fixture.eventually(Duration.ofSeconds(10), "the spans", () -> of(PNE, "off-gw-bulb", "pne.assignment").size()
                == 1 && !of(SERVER, "off-gw-bulb", "server.key-request").isEmpty());
        final SpanData root = of(PNE, "off-gw-bulb", "pne.assignment").get(0);
        final List<SpanData> server = of(SERVER, "off-gw-bulb", "server.key-request");
        for (final SpanData s : server) {
            assertEquals(root.getTraceId(), s.getTraceId());
            assertEquals(root.getSpanId(), s.getParentSpanId(), "the PNE's traceparent, passed on unchanged");
        }
    }

    @Test
    @DisplayName("gateway and PNE off: no traceparent reaches the server, whose spans are roots; the PNE made none")
    void gatewayAndPneOff_noTraceparentIsSent() {
        final int pneSpans = PNE.spans.getFinishedSpanItems().size();
        run("off-all-bulb", Tracing.OFF);
        Fixture.eventually(Duration.ofSeconds(10), "the server's spans",
                () -> !of(SERVER, "off-all-bulb", "server.key-request").isEmpty());
        for (final SpanData s : of(SERVER, "off-all-bulb", "server.key-request")) {
            assertFalse(s.getParentSpanContext().isValid(), "the server received a traceparent: " + s);
        }
        assertEquals(pneSpans, PNE.spans.getFinishedSpanItems().size(), "a PNE with tracing off made a span");
    }
}
