package org.cpnskeys.gateway.keys;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;

import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyRelease;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.StatusReport;
import org.cpnskeys.protocol.trace.HopSpan;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance's requests to the cloud and the server's replies to them, matched by Entity ID and request ID (the
 * replies come back on the instance's own topics, so every reply is one of its own or a late one). A request not
 * answered within the cloud timeout, or that could not be sent, fails with 503. Runs on the service's thread.
 */
final class CloudReplies {
    private static final Logger LOG = LoggerFactory.getLogger(CloudReplies.class);

    /** One answer from the server, decoded and as received (for forwarding untouched, R16). */
    record CloudReply(CpnsMessage message, Buffer raw) {
    }

    private final CloudLink link;
    private final GatewayScheduler scheduler;
    private final Duration timeout;
    private final Map<String, Promise<CloudReply>> waiting = new HashMap<>();

    CloudReplies(final CloudLink link, final GatewayScheduler scheduler, final Duration timeout) {
        this.link = link;
        this.scheduler = scheduler;
        this.timeout = timeout;
    }

    /**
     * Sends a Key Request to the server in a span of its own under {@code parent} (the request's span at the
     * gateway); the future completes with its answer or fails with 503.
     */
    Future<CloudReply> send(final KeyRequest request, final HopSpan parent) {
        final String key = Session.key(request.entityId(), request.requestId());
        final Promise<CloudReply> existing = waiting.get(key);
        if (existing != null) {
            return existing.future();
        }
        final HopSpan exchange = parent.child("gateway.cloud-exchange", HopSpan.Kind.CLIENT)
                .request(request.entityId(), request.requestId());
        return send(key, () -> link.send(request, exchange.traceparent())).onComplete(ar -> exchange
                .outcome(ar.succeeded() ? outcome(ar.result().message()) : "unavailable",
                        ar.succeeded() ? status(ar.result().message()) : Status.UNAVAILABLE).end());
    }

    /** Sends an owner's release to the server; the future completes with its answer or fails with 503. */
    Future<CloudReply> send(final KeyRelease release) {
        return send(Session.key(release.entityId(), release.requestId()), () -> link.send(release));
    }

    private Future<CloudReply> send(final String key, final java.util.function.Supplier<Future<Void>> sending) {
        final Promise<CloudReply> existing = waiting.get(key);
        if (existing != null) {
            return existing.future();
        }
        final Promise<CloudReply> answer = Promise.promise();
        waiting.put(key, answer);
        final long timer = scheduler.schedule(timeout, () -> {
            if (waiting.remove(key, answer)) {
                answer.tryFail(Refusals.unavailable("CPNS Server did not answer"));
            }
        });
        sending.get().onFailure(e -> scheduler.execute(() -> {
            if (waiting.remove(key, answer)) {
                scheduler.cancel(timer);
                answer.tryFail(Refusals.unavailable("CPNS Server unreachable"));
            }
        }));
        return answer.future().onComplete(ar -> scheduler.cancel(timer));
    }

    private static String outcome(final CpnsMessage m) {
        if (m instanceof Challenge) {
            return "challenged";
        }
        return m instanceof KeyDelivery d && d.delivered() ? "delivered" : "refused";
    }

    private static int status(final CpnsMessage m) {
        if (m instanceof Challenge) {
            return Status.UNAUTHORIZED;
        }
        return m instanceof KeyDelivery d ? d.status() : ((StatusReport) m).status();
    }

    /** A reply from the server: completes the request waiting for it; one nobody waits for is dropped. */
    void onReply(final CpnsMessage message, final Buffer raw) {
        final Optional<String> key = keyOf(message);
        if (key.isEmpty()) {
            LOG.warn("unattributable status from the cloud: {}", message instanceof StatusReport s
                    ? s.status() + " " + s.reason() : message.type());
            return;
        }
        final Promise<CloudReply> p = waiting.remove(key.get());
        if (p != null) {
            p.tryComplete(new CloudReply(message, raw));
        }
    }

    /** Fails every request still waiting (503): the gateway stops. */
    void stop() {
        waiting.values().forEach(p -> p.tryFail(Refusals.unavailable("gateway stopping")));
        waiting.clear();
    }

    private static Optional<String> keyOf(final CpnsMessage m) {
        if (m instanceof Challenge c) {
            return Optional.of(Session.key(c.entityId(), c.requestId()));
        }
        if (m instanceof KeyDelivery d) {
            return Optional.of(Session.key(d.entityId(), d.requestId()));
        }
        if (m instanceof StatusReport s && s.entityId().isPresent() && s.requestId().isPresent()) {
            return Optional.of(Session.key(s.entityId().get(), s.requestId().get()));
        }
        return Optional.empty();
    }
}
