package org.cpnskeys.protocol;

import java.util.Optional;

/**
 * Every MQTT topic of the protocol. PAN topics live on the gateway's broker and carry the PNE's Entity ID;
 * cloud topics live on the cloud broker and carry the gateway's ID and the gateway instance's number
 * ({@code cpns/cloud/{gatewayId}/{instance}/{leaf}}: each instance of a gateway has its own request and reply
 * topics, so a reply reaches exactly the instance that sent the request). The broker's ACLs make those segments
 * trustworthy: a client may only use topics under its own identity.
 */
public final class Topics {
    public static final String PAN_PREFIX = "cpns/pan/";
    public static final String CLOUD_PREFIX = "cpns/cloud/";
    public static final String KEY_REQUEST = "key-request";
    public static final String CHALLENGE = "challenge";
    public static final String KEY_DELIVERY = "key-delivery";
    public static final String STATUS = "status";
    /** The shared-subscription group every server instance joins, so that N servers split the load. */
    public static final String SERVER_SHARE_GROUP = "cpns-server";
    /** The shared-subscription group the instances of one gateway join on its PAN broker, so that they split the load. */
    public static final String GATEWAY_SHARE_GROUP = "cpns-gateway";

    private Topics() {
    }

    public static String pan(final EntityId entityId, final String leaf) {
        return PAN_PREFIX + entityId.value() + "/" + leaf;
    }

    /** The highest gateway instance number (instances are numbered 0 to this). */
    public static final int MAX_GATEWAY_INSTANCE = 999;
    private static final java.util.regex.Pattern INSTANCE = java.util.regex.Pattern.compile("0|[1-9][0-9]{0,2}");

    /** A cloud topic of instance {@code instance} (0-{@value #MAX_GATEWAY_INSTANCE}) of gateway {@code gatewayId}. */
    public static String cloud(final GatewayId gatewayId, final int instance, final String leaf) {
        return cloudInstancePrefix(gatewayId, instance) + leaf;
    }

    private static String cloudInstancePrefix(final GatewayId gatewayId, final int instance) {
        if (instance < 0 || instance > MAX_GATEWAY_INSTANCE) {
            throw new IllegalArgumentException("gateway instance must be 0-" + MAX_GATEWAY_INSTANCE);
        }
        return CLOUD_PREFIX + gatewayId.value() + "/" + instance + "/";
    }

    /** What the gateway subscribes to on its PAN broker. */
    public static String panKeyRequestFilter() {
        return PAN_PREFIX + "+/" + KEY_REQUEST;
    }

    /** What each instance of a gateway running several subscribes to on its PAN broker (each request reaches one). */
    public static String panKeyRequestSharedFilter() {
        return "$share/" + GATEWAY_SHARE_GROUP + "/" + panKeyRequestFilter();
    }

    /**
     * What a PNE subscribes to on the PAN broker: the three reply topics addressed to it (not its own
     * key-request topic, which a {@code +} filter would echo back to it).
     */
    public static java.util.List<String> panReplyTopics(final EntityId entityId) {
        return java.util.List.of(pan(entityId, CHALLENGE), pan(entityId, KEY_DELIVERY), pan(entityId, STATUS));
    }

    /** What a gateway instance subscribes to on the cloud broker: the three reply topics addressed to it. */
    public static java.util.List<String> cloudReplyTopics(final GatewayId gatewayId, final int instance) {
        return java.util.List.of(cloud(gatewayId, instance, CHALLENGE), cloud(gatewayId, instance, KEY_DELIVERY),
                cloud(gatewayId, instance, STATUS));
    }

    /** Every reply topic of one PNE, as one filter (what the PAN broker's rules allow it to subscribe to). */
    public static String panRepliesFilter(final EntityId entityId) {
        return PAN_PREFIX + entityId.value() + "/+";
    }

    /** What every server instance subscribes to on the cloud broker: every instance's Key Requests, shared. */
    public static String cloudKeyRequestSharedFilter() {
        return "$share/" + SERVER_SHARE_GROUP + "/" + cloudAnyInstance(KEY_REQUEST);
    }

    /** The leaf {@code leaf} of every gateway instance, as one filter ({@code cpns/cloud/+/+/leaf}). */
    public static String cloudAnyInstance(final String leaf) {
        return CLOUD_PREFIX + "+/+/" + leaf;
    }

    /** Every topic of one gateway instance, as one filter (what the cloud broker's rules allow it to subscribe to). */
    public static String cloudRepliesFilter(final GatewayId gatewayId, final int instance) {
        return cloudInstancePrefix(gatewayId, instance) + "+";
    }

    /** A PAN topic parsed as {@code cpns/pan/<id>/<leaf>}. */
    public record Parsed(String scope, String id, String leaf) {
    }

    /** A cloud topic parsed as {@code cpns/cloud/<gatewayId>/<instance>/<leaf>}. */
    public record CloudTopic(GatewayId gatewayId, int instance, String leaf) {
    }

    /** Parses a PAN topic; empty when the topic is not one of ours. */
    public static Optional<Parsed> parse(final String topic) {
        if (topic == null) {
            return Optional.empty();
        }
        final String[] parts = topic.split("/", -1);
        if (parts.length != 4 || !"cpns".equals(parts[0]) || !"pan".equals(parts[1])
                || !Identifiers.matches(parts[2], false)) {
            return Optional.empty();
        }
        return Optional.of(new Parsed(parts[1], parts[2], parts[3]));
    }

    /** Parses a cloud topic; empty when the topic is not one of ours (a bad ID or instance number included). */
    public static Optional<CloudTopic> parseCloud(final String topic) {
        if (topic == null) {
            return Optional.empty();
        }
        final String[] parts = topic.split("/", -1);
        if (parts.length != 5 || !"cpns".equals(parts[0]) || !"cloud".equals(parts[1])
                || !Identifiers.matches(parts[2], false) || !INSTANCE.matcher(parts[3]).matches()) {
            return Optional.empty();
        }
        return Optional.of(new CloudTopic(GatewayId.of(parts[2]), Integer.parseInt(parts[3]), parts[4]));
    }
}
