package org.cpnskeys.gateway;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;

import org.cpnskeys.gateway.keys.CloudLink;
import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyRelease;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.TraceParent;
import org.cpnskeys.protocol.Topics;
import org.cpnskeys.protocol.mqtt.MqttConnection;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gateway instance's {@link CloudLink} over its cloud broker connection: publishes Key Requests on
 * {@code cpns/cloud/{gatewayId}/{instance}/key-request} and hands the decoded replies from the instance's own three
 * reply topics, with their raw bytes, to a listener. Runs on the owning verticle's context.
 */
final class MqttCloudLink implements CloudLink {
    private static final Logger LOG = LoggerFactory.getLogger(MqttCloudLink.class);

    private final MqttConnection cloud;
    private final GatewayId gateway;
    private final int instance;
    private final MessageCodec codec;
    private final Duration timeout;

    /** {@code timeout}: how long a request waits for the connection to be up before it counts as unsent. */
    MqttCloudLink(final MqttConnection cloud, final GatewayId gateway, final int instance, final MessageCodec codec,
            final Duration timeout) {
        this.cloud = cloud;
        this.gateway = gateway;
        this.instance = instance;
        this.codec = codec;
        this.timeout = timeout;
    }

    /** Subscribes this instance's reply topics, handing every readable reply to {@code replies}, and connects. */
    Future<Void> start(final BiConsumer<CpnsMessage, Buffer> replies) {
        final List<Future<Void>> subscriptions = new ArrayList<>();
        for (final String topic : Topics.cloudReplyTopics(gateway, instance)) {
            subscriptions.add(cloud.subscribe(topic, in -> {
                try {
                    replies.accept(codec.decode(in.payload()), in.payload());
                } catch (ProtocolException e) {
                    LOG.warn("malformed message from the cloud on {}: {}", in.topic(), e.reason());
                }
            }));
        }
        return Future.all(subscriptions).compose(v -> cloud.start());
    }

    Future<Void> stop() {
        return cloud.stop();
    }

    void onStateChange(final Consumer<Boolean> listener) {
        cloud.onStateChange(listener);
    }

    @Override
    public Future<Void> send(final KeyRequest request) {
        return send(request, Optional.empty());
    }

    @Override
    public Future<Void> send(final KeyRequest request, final Optional<TraceParent> traceparent) {
        return cloud.connected(timeout).compose(v -> cloud.publish(Topics.cloud(gateway, instance, Topics.KEY_REQUEST),
                codec.encode(request, traceparent)));
    }

    @Override
    public Future<Void> send(final KeyRelease release) {
        return cloud.connected(timeout)
                .compose(v -> cloud.publish(Topics.cloud(gateway, instance, Topics.KEY_REQUEST), codec.encode(release)));
    }

    @Override
    public Future<Void> connected(final Duration max) {
        return cloud.connected(max);
    }
}
