package org.cpnskeys.gateway.keys;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import io.vertx.core.buffer.Buffer;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.crypto.CachingKeyPair;
import org.cpnskeys.protocol.trace.HopSpan;
import org.cpnskeys.protocol.trace.Tracing;

/**
 * One PNE Key Request at the gateway, from its arrival to a while after its final answer (for the PNE's retries).
 * Belongs to the instance that took it first; its mutable fields are touched only on that instance's thread.
 */
final class Session {
    final KeyRequest request;
    final GatewayKeyService owner;
    /** When it arrived (monotonic nanoseconds). */
    final long started;
    /** The cnonces of this request's digest answers, with the ephemeral key pair each answer carried. */
    final Map<String, CachingKeyPair> cnonces = new HashMap<>();
    /** The final answer as sent to the PNE, sent again to its retries. */
    Buffer finalReply;
    /** The server's challenge relayed to a PNE with UI, sent again to its retries until it answers. */
    Buffer challenge;
    /** A PNE with UI has the server's challenge and owes its answer. */
    boolean awaitingPne;
    /** When the user approved (null: not yet, or before a restart). */
    java.time.Instant approvedAt;
    /** The gateway's signed receipt of the approval, sent with the request to the server ([L] 3). */
    java.util.Optional<org.cpnskeys.protocol.ConsentReceipt> consent = java.util.Optional.empty();
    /** The approval is in the journal and must be marked done when the request ends. */
    boolean journaled;
    /** This request's span at the gateway (none when tracing is off); ended with its final answer. */
    HopSpan span = NO_SPAN;
    private static final HopSpan NO_SPAN = Tracing.OFF.start("none", Optional.empty(), HopSpan.Kind.SERVER);

    Session(final KeyRequest request, final GatewayKeyService owner, final long started) {
        this.request = request;
        this.owner = owner;
        this.started = started;
    }

    EntityId entity() {
        return request.entityId();
    }

    RequestId requestId() {
        return request.requestId();
    }

    String key() {
        return key(request.entityId(), request.requestId());
    }

    /** The identity of a request at the gateway: the PNE and its request ID. */
    static String key(final EntityId entity, final RequestId requestId) {
        return entity.value() + "/" + requestId.value();
    }
}
