package org.cpnskeys.gateway.keys;

import java.time.Duration;
import java.util.Optional;

import io.vertx.core.Future;

import org.cpnskeys.protocol.KeyRelease;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.TraceParent;

/**
 * One gateway instance's way to the CPNS Servers, as {@link GatewayKeyService} sees it: it sends a Key Request on
 * the instance's own request topic; the server's replies come back to the instance's own reply topics and are handed
 * to {@link GatewayKeyService#cloudReply}. No MQTT in sight: the verticle implements it over its cloud connection,
 * a test with a fake server.
 */
public interface CloudLink {
    /** Sends the request; completes once the cloud broker took it, fails when the cloud is unreachable. */
    Future<Void> send(KeyRequest request);

    /** Sends an owner's release (on the same request topic); as {@link #send(KeyRequest)}. */
    Future<Void> send(KeyRelease release);

    /** {@link #send(KeyRequest)} with the {@code traceparent} of the gateway's span for this exchange, if any. */
    default Future<Void> send(final KeyRequest request, final Optional<TraceParent> traceparent) {
        return send(request);
    }

    /** Completes when the link to the cloud is up (at once if it is), failing after {@code max}. */
    Future<Void> connected(Duration max);
}
