package org.cpnskeys.protocol.trace;

import java.util.Objects;
import java.util.Optional;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.TraceParent;

/**
 * Spans through the OpenTelemetry API of the given {@link OpenTelemetry} (the SDK, set up by the launcher or a
 * test). Parents are passed explicitly (the message's {@code traceparent}, or the span of the enclosing step), never
 * through a thread-local context: the roles' work hops between event loops and workers.
 */
public final class OtelTracing implements Tracing {
    /** The instrumentation scope name of the project's spans. */
    public static final String SCOPE = "org.cpnskeys";

    private final Tracer tracer;

    public OtelTracing(final OpenTelemetry otel) {
        this.tracer = Objects.requireNonNull(otel, "otel").getTracer(SCOPE);
    }

    @Override
    public HopSpan start(final String name, final Optional<TraceParent> parent, final HopSpan.Kind kind) {
        final SpanBuilder b = tracer.spanBuilder(name).setSpanKind(kind(kind));
        if (parent.isPresent()) {
            final TraceParent p = parent.get();
            b.setParent(Context.root().with(Span.wrap(SpanContext.createFromRemoteParent(p.traceId(), p.parentId(),
                    TraceFlags.fromByte((byte) p.flags()), TraceState.getDefault()))));
        } else {
            b.setNoParent();
        }
        return new Otel(b.startSpan());
    }

    @Override
    public boolean enabled() {
        return true;
    }

    private static SpanKind kind(final HopSpan.Kind kind) {
        return switch (kind) {
            case CLIENT -> SpanKind.CLIENT;
            case SERVER -> SpanKind.SERVER;
            case INTERNAL -> SpanKind.INTERNAL;
        };
    }

    private final class Otel implements HopSpan {
        private final Span span;

        Otel(final Span span) {
            this.span = span;
        }

        @Override
        public Optional<TraceParent> traceparent() {
            final SpanContext c = span.getSpanContext();
            return c.isValid() ? Optional.of(new TraceParent(c.getTraceId(), c.getSpanId(),
                    c.getTraceFlags().asByte() & 0xff)) : Optional.empty();
        }

        @Override
        public HopSpan child(final String name, final Kind kind) {
            return new Otel(tracer.spanBuilder(name).setSpanKind(kind(kind)).setParent(Context.root().with(span))
                    .startSpan());
        }

        @Override
        public HopSpan request(final EntityId entity, final RequestId requestId) {
            span.setAttribute(ENTITY_ID, entity.value());
            span.setAttribute(REQUEST_ID, requestId.value());
            return this;
        }

        @Override
        public HopSpan gateway(final GatewayId gateway) {
            span.setAttribute(GATEWAY_ID, gateway.value());
            return this;
        }

        @Override
        public HopSpan outcome(final String outcome, final int status) {
            span.setAttribute(OUTCOME, outcome);
            span.setAttribute(STATUS_CODE, (long) status);
            if (status >= 500) {
                span.setStatus(StatusCode.ERROR);
            }
            return this;
        }

        @Override
        public void end() {
            span.end();
        }
    }
}
