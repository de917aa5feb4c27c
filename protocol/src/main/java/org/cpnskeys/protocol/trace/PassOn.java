package org.cpnskeys.protocol.trace;

import java.util.Optional;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.TraceParent;

/**
 * Tracing off: no span. A hop that received a {@code traceparent} passes it on unchanged (so the roles that do
 * trace still join into one trace); one that received none sends none and allocates nothing.
 */
final class PassOn implements Tracing {
    private static final Span NONE = new Span(Optional.empty());

    @Override
    public HopSpan start(final String name, final Optional<TraceParent> parent, final HopSpan.Kind kind) {
        return parent.isEmpty() ? NONE : new Span(parent);
    }

    @Override
    public boolean enabled() {
        return false;
    }

    private record Span(Optional<TraceParent> traceparent) implements HopSpan {
        @Override
        public HopSpan child(final String name, final Kind kind) {
            return this;
        }

        @Override
        public HopSpan request(final EntityId entity, final RequestId requestId) {
            return this;
        }

        @Override
        public HopSpan gateway(final GatewayId gateway) {
            return this;
        }

        @Override
        public HopSpan outcome(final String outcome, final int status) {
            return this;
        }

        @Override
        public void end() {
            // nothing was started
        }
    }
}
