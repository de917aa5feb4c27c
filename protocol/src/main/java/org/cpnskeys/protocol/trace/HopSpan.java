package org.cpnskeys.protocol.trace;

import java.util.Optional;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.TraceParent;

/**
 * One span of an assignment, or nothing when tracing is off. Its attributes are typed, and only the ones that are
 * safe to export: Entity ID, request ID, gateway ID, an outcome word and a status code; there is deliberately no
 * way to attach free text (a reason, a digest field, a key) to it.
 */
public interface HopSpan {
    /** The span's role in the exchange (OpenTelemetry's span kinds). */
    enum Kind {
        /** Sends a request and waits for its answer. */
        CLIENT,
        /** Takes a request and answers it. */
        SERVER,
        /** A step inside one role. */
        INTERNAL
    }

    /** The attribute names (OpenTelemetry style, in the {@code cpns.} namespace). */
    String ENTITY_ID = "cpns.entity_id";
    String REQUEST_ID = "cpns.request_id";
    String GATEWAY_ID = "cpns.gateway_id";
    String OUTCOME = "cpns.outcome";
    String STATUS_CODE = "cpns.status_code";

    /** What to send in the {@code traceparent} of the messages made under this span (empty: send none). */
    Optional<TraceParent> traceparent();

    /** A span for a step of this one (ended by the caller). */
    HopSpan child(String name, Kind kind);

    /** Names the request: its Entity ID and request ID. */
    HopSpan request(EntityId entity, RequestId requestId);

    HopSpan gateway(GatewayId gateway);

    /**
     * Records how the step ended: an outcome word (a constant such as {@code delivered}, {@code refused},
     * {@code challenged}, {@code approved}: never a reason text) and a status code of PROTOCOL.md section 7; a
     * status of 500 and above marks the span as an error.
     */
    HopSpan outcome(String outcome, int status);

    /** Ends the span (later calls do nothing). */
    void end();
}
