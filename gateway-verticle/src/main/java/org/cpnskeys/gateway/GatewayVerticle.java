package org.cpnskeys.gateway;

import java.util.Objects;
import java.util.Optional;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;

import org.cpnskeys.broker.CloudAccessPolicy;
import org.cpnskeys.gateway.keys.GatewayKeyService;
import org.cpnskeys.gateway.keys.PanLink;
import org.cpnskeys.gateway.keys.SharedState;
import org.cpnskeys.gateway.keys.UserSide;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyRelease;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.StatusReport;
import org.cpnskeys.protocol.Topics;
import org.cpnskeys.protocol.Traced;
import org.cpnskeys.protocol.mqtt.MqttConnection;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;
import org.cpnskeys.protocol.trace.Tracing;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance of the PN GW on the brokers: translates MQTT to {@link GatewayKeyService} calls and back. It takes
 * PNE Key Requests from the PAN broker (F2), refuses an unreadable one or one whose Entity ID is not the topic's
 * (400), and hands the rest to the service; it gives the service a {@link PanLink} that publishes on the PNEs' reply
 * topics and a cloud link on this instance's own cloud topics ({@code cpns/cloud/{gatewayId}/{instance}/...}), whose
 * replies it hands back to the service. Every decision is the service's.
 *
 * <p>Several instances may run, each on its own event loop with its own PAN connection (in a shared subscription,
 * so each Key Request reaches one of them) and its own cloud connection; they share a {@link SharedState}.
 */
public final class GatewayVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);
    private static final long SWEEP_PERIOD_MS = 1_000;

    private final GatewayConfig config;
    private final MqttEndpoint panEndpoint;
    private final UserSide user;
    private final MessageCodec codec;
    private final SharedState shared;
    private final int instance;
    private GatewayMetrics metrics = GatewayMetrics.NOOP;
    private GatewayHealth health = new GatewayHealth();
    private Tracing tracing = Tracing.OFF;
    private MqttConnection pan;
    private MqttCloudLink cloud;
    private GatewayKeyService service;
    private long sweeper = -1;

    /** Instance {@code instance} (0 to {@code shared.instances() - 1}) of the gateway. */
    public GatewayVerticle(final GatewayConfig config, final MqttEndpoint panEndpoint, final UserSide user,
            final MessageCodec codec, final SharedState shared, final int instance) {
        if (instance < 0 || instance >= shared.instances()) {
            throw new IllegalArgumentException("instance must be 0-" + (shared.instances() - 1));
        }
        this.config = config;
        this.panEndpoint = panEndpoint;
        this.user = user;
        this.codec = codec;
        this.shared = shared;
        this.instance = instance;
    }

    /** Reports to these from now on (call before deployment). */
    public GatewayVerticle observedBy(final GatewayMetrics newMetrics, final GatewayHealth newHealth) {
        this.metrics = Objects.requireNonNull(newMetrics);
        this.health = Objects.requireNonNull(newHealth);
        return this;
    }

    /** Traces the Key Requests with {@code newTracing} (call before deployment; default {@link Tracing#OFF}). */
    public GatewayVerticle tracedBy(final Tracing newTracing) {
        this.tracing = Objects.requireNonNull(newTracing);
        return this;
    }

    @Override
    public Future<?> start() {
        pan = MqttConnection.create(vertx, panEndpoint, "cpns-gateway-" + config.gatewayId()
                + (instance == 0 ? "" : "-" + instance));
        cloud = new MqttCloudLink(MqttConnection.create(vertx, config.cloud(),
                CloudAccessPolicy.gatewayClientId(config.gatewayId(), instance)), config.gatewayId(), instance, codec,
                config.cloudTimeout());
        service = new GatewayKeyService(config.keyServiceSettings(), user, shared, instance, cloud, new Pan(),
                new VertxScheduler(vertx, vertx.getOrCreateContext()), codec).observedBy(metrics, health)
                .tracedBy(tracing);
        sweeper = vertx.setPeriodic(SWEEP_PERIOD_MS, t -> service.sweep());
        pan.onStateChange(health.panTracker());
        cloud.onStateChange(health.cloudTracker());
        // one instance takes the whole PAN filter; several split it with a shared subscription
        final String filter = shared.instances() == 1 ? Topics.panKeyRequestFilter()
                : Topics.panKeyRequestSharedFilter();
        return cloud.start(service::cloudReply)
                .onSuccess(v -> service.resume())
                .compose(v -> pan.subscribe(filter, this::onPanRequest))
                .compose(v -> pan.start());
    }

    @Override
    public Future<?> stop() {
        vertx.cancelTimer(sweeper);
        if (service != null) {
            service.stop();
        }
        return Future.join(cloud == null ? Future.succeededFuture() : cloud.stop(),
                pan == null ? Future.succeededFuture() : pan.stop());
    }

    private void onPanRequest(final MqttConnection.Inbound in) {
        final Optional<Topics.Parsed> topic = Topics.parse(in.topic());
        if (topic.isEmpty() || !Topics.KEY_REQUEST.equals(topic.get().leaf())) {
            return;
        }
        final EntityId entity = EntityId.of(topic.get().id());
        final Traced<org.cpnskeys.protocol.CpnsMessage> traced;
        try {
            traced = codec.decodeTraced(in.payload());
            final org.cpnskeys.protocol.CpnsMessage request = traced.message();
            final EntityId named = request instanceof KeyRequest r ? r.entityId()
                    : request instanceof KeyRelease r ? r.entityId() : null;
            if (named == null) {
                throw ProtocolException.badRequest("message type " + request.type() + " is not accepted here");
            }
            if (!named.equals(entity)) {
                throw ProtocolException.badRequest("entityId differs from the topic's");
            }
        } catch (ProtocolException e) {
            LOG.info("malformed Key Request from PNE {}: {}", entity, e.reason());
            publish(entity, Topics.STATUS, codec.encode(StatusReport.of(codec.peekRequestId(in.payload().getBytes()),
                    Optional.of(entity), e.status(), e.reason())));
            return;
        }
        if (traced.message() instanceof KeyRelease release) {
            service.keyRelease(release);
        } else {
            service.keyRequest((KeyRequest) traced.message(), traced.traceparent());
        }
    }

    private void publish(final EntityId entity, final String leaf, final Buffer payload) {
        pan.publish(Topics.pan(entity, leaf), payload)
                .onFailure(e -> LOG.warn("message to PNE {} not sent: {}", entity, e.getMessage()));
    }

    /** The service's way to the PNEs: their reply topics on the PAN broker. */
    private final class Pan implements PanLink {
        @Override
        public void challenge(final EntityId pne, final Buffer payload) {
            publish(pne, Topics.CHALLENGE, payload);
        }

        @Override
        public void keyDelivery(final EntityId pne, final Buffer payload) {
            publish(pne, Topics.KEY_DELIVERY, payload);
        }

        @Override
        public void status(final EntityId pne, final Buffer payload) {
            publish(pne, Topics.STATUS, payload);
        }
    }
}
