package org.cpnskeys.server;

import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyRelease;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.StatusReport;
import org.cpnskeys.protocol.Topics;
import org.cpnskeys.protocol.TraceParent;
import org.cpnskeys.protocol.Traced;
import org.cpnskeys.protocol.mqtt.MqttConnection;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;
import org.cpnskeys.protocol.trace.HopSpan;
import org.cpnskeys.protocol.trace.Tracing;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Translates between the cloud broker and {@link KeyAssignmentService} (Key Requests) or {@link KeyReleaseService}
 * (owners' releases): consumes both from the shared
 * subscription (so N instances and N servers split the load), answers each on the requesting gateway's
 * topics. Malformed input gets a 400 status and never stops the verticle.
 */
public final class KeyRequestVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(KeyRequestVerticle.class);

    private final MqttEndpoint broker;
    private final KeyAssignmentService service;
    private final KeyReleaseService releases;
    private final MessageCodec codec;
    private final java.util.concurrent.atomic.AtomicInteger connected;
    private Tracing tracing = Tracing.OFF;
    private MqttConnection cloud;
    private boolean up;

    /**
     * @param connected counts the instances connected to the broker (for the readiness check)
     */
    public KeyRequestVerticle(final MqttEndpoint broker, final KeyAssignmentService service,
            final KeyReleaseService releases, final MessageCodec codec,
            final java.util.concurrent.atomic.AtomicInteger connected) {
        this.broker = broker;
        this.service = service;
        this.releases = releases;
        this.codec = codec;
        this.connected = connected;
    }

    /** Traces each Key Request with {@code newTracing} (call before deployment; default {@link Tracing#OFF}). */
    public KeyRequestVerticle tracedBy(final Tracing newTracing) {
        this.tracing = Objects.requireNonNull(newTracing);
        return this;
    }

    @Override
    public Future<?> start() {
        cloud = MqttConnection.create(vertx, broker, "cpns-server-" + UUID.randomUUID());
        cloud.onStateChange(this::connection);
        return cloud.subscribe(Topics.cloudKeyRequestSharedFilter(), this::onKeyRequest)
                .compose(v -> cloud.start());
    }

    @Override
    public Future<?> stop() {
        connection(false);
        return cloud == null ? Future.succeededFuture() : cloud.stop();
    }

    private void connection(final boolean nowUp) {
        if (nowUp != up) {
            up = nowUp;
            connected.addAndGet(nowUp ? 1 : -1);
        }
    }

    private void onKeyRequest(final MqttConnection.Inbound in) {
        final Optional<Topics.CloudTopic> topic = Topics.parseCloud(in.topic());
        if (topic.isEmpty() || !Topics.KEY_REQUEST.equals(topic.get().leaf())) {
            return;
        }
        final GatewayId gateway = topic.get().gatewayId();
        final int instance = topic.get().instance();
        final Traced<CpnsMessage> traced;
        try {
            traced = codec.decodeTraced(in.payload());
            if (!(traced.message() instanceof KeyRequest) && !(traced.message() instanceof KeyRelease)) {
                throw ProtocolException.badRequest("message type " + traced.message().type() + " is not accepted here");
            }
        } catch (ProtocolException e) {
            LOG.info("malformed Key Request from gateway {}: {}", gateway, e.reason());
            final byte[] raw = in.payload().getBytes();
            reply(gateway, instance, StatusReport.of(codec.peekRequestId(raw), Optional.<EntityId>empty(), e.status(),
                    e.reason()), Optional.empty());
            return;
        }
        if (traced.message() instanceof KeyRelease release) {
            // an owner's release is not traced yet: its answer passes on the traceparent it came with
            releases.handle(gateway, release).onSuccess(a -> reply(gateway, instance, a, traced.traceparent()));
            return;
        }
        final KeyRequest request = (KeyRequest) traced.message();
        final HopSpan span = tracing.start("server.key-request", traced.traceparent(), HopSpan.Kind.SERVER)
                .request(request.entityId(), request.requestId()).gateway(gateway);
        service.handle(gateway, request, span).onComplete(ar -> span.end())
                .onSuccess(answer -> reply(gateway, instance, answer, span.traceparent()));
    }

    /** Answers on the topic of the gateway instance the request came from. */
    private void reply(final GatewayId gateway, final int instance, final CpnsMessage answer,
            final Optional<TraceParent> traceparent) {
        final String leaf = answer instanceof Challenge ? Topics.CHALLENGE
                : answer instanceof StatusReport ? Topics.STATUS : Topics.KEY_DELIVERY;
        cloud.publish(Topics.cloud(gateway, instance, leaf), codec.encode(answer, traceparent))
                .onFailure(e -> LOG.warn("reply to gateway {} not sent: {}", gateway, e.getMessage()));
    }
}
