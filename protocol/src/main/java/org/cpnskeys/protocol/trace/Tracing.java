package org.cpnskeys.protocol.trace;

import java.util.Optional;

import org.cpnskeys.protocol.TraceParent;

/**
 * Where a role's spans go: {@link #OFF} (the default: no span, nothing allocated for a message without
 * {@code traceparent}, a received one passed on unchanged) or OpenTelemetry ({@link OtelTracing}). The spans' only
 * attributes are the typed ones of {@link HopSpan}, so no secret can reach one.
 */
public interface Tracing {
    /** No spans: each hop passes on the {@code traceparent} it received and sends none when it received none. */
    Tracing OFF = new PassOn();

    /**
     * A span for one role's part of an assignment: a child of the sender's span when {@code parent} is given, else
     * the root of a new trace.
     */
    HopSpan start(String name, Optional<TraceParent> parent, HopSpan.Kind kind);

    /** Whether spans are made (false for {@link #OFF}). */
    boolean enabled();
}
