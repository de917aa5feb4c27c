package org.cpnskeys.protocol.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.TraceParent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Tracing#OFF}, the default: no span, no cost, and a received traceparent passed on unchanged. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class TracingOffTest {
    private static final EntityId ENTITY = EntityId.of("pne-1");
    private static final RequestId REQUEST = RequestId.of("req-1");
    private static final GatewayId GATEWAY = GatewayId.of("gw-1");
    private static final TraceParent RECEIVED = TraceParent.parse(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");

    @Test
    void off_nothingReceived_sendsNoTraceparentAtAnyStep() {
        assertFalse(Tracing.OFF.enabled());
        final HopSpan span = Tracing.OFF.start("x", Optional.empty(), HopSpan.Kind.SERVER).request(ENTITY, REQUEST);
        assertEquals(Optional.empty(), span.traceparent());
        assertEquals(Optional.empty(), span.child("y", HopSpan.Kind.CLIENT).traceparent());
    }

    @Test
    void off_traceparentReceived_passesItOnUnchangedAtEveryStep() {
        final HopSpan span = Tracing.OFF.start("x", Optional.of(RECEIVED), HopSpan.Kind.SERVER);
        assertEquals(Optional.of(RECEIVED), span.traceparent());
        assertEquals(Optional.of(RECEIVED), span.child("y", HopSpan.Kind.CLIENT).gateway(GATEWAY).outcome("ok", 200)
                .traceparent());
    }

    @Test
    void off_nothingReceived_allocatesNothingPerRequest() {
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory
                .getThreadMXBean();
        final long thread = Thread.currentThread().getId();
        final Optional<TraceParent> none = Optional.empty();
        HopSpan last = null;
        for (int i = 0; i < 20_000; i++) {
            last = steps(none);
        }
        final long before = threads.getThreadAllocatedBytes(thread);
        for (int i = 0; i < 100_000; i++) {
            last = steps(none);
        }
        final long allocated = threads.getThreadAllocatedBytes(thread) - before;
        // what the MXBean call itself allocates is well under 1 KiB; one object per request would be >= 1.6 MB
        assertTrue(allocated < 1024, "bytes allocated by 100,000 untraced requests: " + allocated);
        assertSame(steps(none), last, "one shared no-op span");
    }

    /** What a role does per Key Request with tracing off: a span, its attributes, a step and the outcome. */
    private static HopSpan steps(final Optional<TraceParent> received) {
        final HopSpan span = Tracing.OFF.start("gateway.key-request", received, HopSpan.Kind.SERVER)
                .request(ENTITY, REQUEST).gateway(GATEWAY);
        final HopSpan step = span.child("gateway.cloud-exchange", HopSpan.Kind.CLIENT);
        step.traceparent();
        step.outcome("delivered", 200).end();
        span.outcome("delivered", 200).end();
        return span;
    }
}
