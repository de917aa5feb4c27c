package org.cpnskeys.protocol;

import java.util.Optional;

/**
 * Every MQTT topic of the protocol. PAN topics live on the gateway's broker and carry the PNE's Entity ID;
 * cloud topics live on the cloud broker and carry the gateway's ID. The broker's ACLs make those segments
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

    public static String cloud(final GatewayId gatewayId, final String leaf) {
        return CLOUD_PREFIX + gatewayId.value() + "/" + leaf;
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

    /** What a gateway subscribes to on the cloud broker: the three reply topics addressed to it. */
    public static java.util.List<String> cloudReplyTopics(final GatewayId gatewayId) {
        return java.util.List.of(cloud(gatewayId, CHALLENGE), cloud(gatewayId, KEY_DELIVERY), cloud(gatewayId, STATUS));
    }

    /** Every reply topic of one PNE, as one filter (what the PAN broker's rules allow it to subscribe to). */
    public static String panRepliesFilter(final EntityId entityId) {
        return PAN_PREFIX + entityId.value() + "/+";
    }

    /** What every server instance subscribes to on the cloud broker. */
    public static String cloudKeyRequestSharedFilter() {
        return "$share/" + SERVER_SHARE_GROUP + "/" + CLOUD_PREFIX + "+/" + KEY_REQUEST;
    }

    /** What a gateway subscribes to on the cloud broker: every reply addressed to it. */
    public static String cloudRepliesFilter(final GatewayId gatewayId) {
        return CLOUD_PREFIX + gatewayId.value() + "/+";
    }

    /** A topic parsed as {@code cpns/<scope>/<id>/<leaf>}. */
    public record Parsed(String scope, String id, String leaf) {
    }

    /** Parses a protocol topic; empty when the topic is not one of ours. */
    public static Optional<Parsed> parse(final String topic) {
        if (topic == null) {
            return Optional.empty();
        }
        final String[] parts = topic.split("/", -1);
        if (parts.length != 4 || !"cpns".equals(parts[0]) || !("pan".equals(parts[1]) || "cloud".equals(parts[1]))) {
            return Optional.empty();
        }
        if (!Identifiers.matches(parts[2], false)) {
            return Optional.empty();
        }
        return Optional.of(new Parsed(parts[1], parts[2], parts[3]));
    }
}
