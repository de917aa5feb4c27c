package org.cpnskeys.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.protocol.mqtt.TopicFilter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TopicsTest {
    private static final EntityId PNE = EntityId.of("pne-1");
    private static final GatewayId GW = GatewayId.of("gw-1");

    @Test
    void pan_entityAndLeaf_buildsPanTopic() {
        assertEquals("cpns/pan/pne-1/key-request", Topics.pan(PNE, Topics.KEY_REQUEST));
        assertEquals("cpns/pan/pne-1/key-delivery", Topics.pan(PNE, Topics.KEY_DELIVERY));
        assertEquals("cpns/pan/pne-1/challenge", Topics.pan(PNE, Topics.CHALLENGE));
        assertEquals("cpns/pan/pne-1/status", Topics.pan(PNE, Topics.STATUS));
    }

    @Test
    void cloud_gatewayInstanceAndLeaf_buildsCloudTopic() {
        assertEquals("cpns/cloud/gw-1/0/key-request", Topics.cloud(GW, 0, Topics.KEY_REQUEST));
        assertEquals("cpns/cloud/gw-1/7/challenge", Topics.cloud(GW, 7, Topics.CHALLENGE));
        assertEquals(java.util.List.of("cpns/cloud/gw-1/2/challenge", "cpns/cloud/gw-1/2/key-delivery",
                "cpns/cloud/gw-1/2/status"), Topics.cloudReplyTopics(GW, 2));
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 1000})
    void cloud_instanceOutOfRange_isRefused(final int instance) {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Topics.cloud(GW, instance, Topics.KEY_REQUEST));
    }

    @Test
    void filters_protocolTopics_matchOnlyTheirOwn() {
        assertEquals("cpns/pan/+/key-request", Topics.panKeyRequestFilter());
        assertEquals("$share/cpns-server/cpns/cloud/+/+/key-request", Topics.cloudKeyRequestSharedFilter());
        assertTrue(TopicFilter.matches(Topics.panKeyRequestFilter(), Topics.pan(PNE, Topics.KEY_REQUEST)));
        assertFalse(TopicFilter.matches(Topics.panKeyRequestFilter(), Topics.pan(PNE, Topics.KEY_DELIVERY)));
        assertTrue(TopicFilter.matches(Topics.cloudKeyRequestSharedFilter(), Topics.cloud(GW, 0, Topics.KEY_REQUEST)));
        assertTrue(TopicFilter.matches(Topics.cloudKeyRequestSharedFilter(), Topics.cloud(GW, 3, Topics.KEY_REQUEST)));
        assertFalse(TopicFilter.matches(Topics.cloudKeyRequestSharedFilter(), Topics.cloud(GW, 3, Topics.STATUS)));
        assertFalse(TopicFilter.matches(Topics.cloudKeyRequestSharedFilter(), Topics.pan(PNE, Topics.KEY_REQUEST)));
        assertTrue(TopicFilter.matches(Topics.panRepliesFilter(PNE), Topics.pan(PNE, Topics.KEY_DELIVERY)));
        assertTrue(TopicFilter.matches(Topics.panRepliesFilter(PNE), Topics.pan(PNE, Topics.STATUS)));
        assertFalse(TopicFilter.matches(Topics.panRepliesFilter(PNE), Topics.pan(EntityId.of("pne-2"), Topics.STATUS)));
        assertTrue(TopicFilter.matches(Topics.cloudRepliesFilter(GW, 1), Topics.cloud(GW, 1, Topics.KEY_DELIVERY)));
        assertFalse(TopicFilter.matches(Topics.cloudRepliesFilter(GW, 1), Topics.cloud(GW, 2, Topics.KEY_DELIVERY)));
        assertFalse(TopicFilter.matches(Topics.cloudRepliesFilter(GW, 1), Topics.cloud(GatewayId.of("gw-2"), 1,
                Topics.KEY_DELIVERY)));
    }

    @Test
    void parse_protocolTopic_returnsScopeIdLeaf() {
        assertEquals(Optional.of(new Topics.Parsed("pan", "pne-1", "key-request")),
                Topics.parse("cpns/pan/pne-1/key-request"));
        assertEquals(Optional.empty(), Topics.parse("cpns/cloud/gw.home_1/key-delivery"));
    }

    @Test
    void parseCloud_instanceTopic_returnsGatewayInstanceLeaf() {
        assertEquals(Optional.of(new Topics.CloudTopic(GatewayId.of("gw.home_1"), 12, "key-request")),
                Topics.parseCloud("cpns/cloud/gw.home_1/12/key-request"));
        assertEquals(Optional.of(new Topics.CloudTopic(GW, 0, "status")), Topics.parseCloud(Topics.cloud(GW, 0,
                Topics.STATUS)));
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "cpns/cloud/gw-1/key-request", "cpns/cloud/gw-1/01/key-request",
        "cpns/cloud/gw-1/1000/key-request", "cpns/cloud/gw-1/-1/key-request", "cpns/cloud/gw-1/+/key-request",
        "cpns/cloud/+/0/key-request", "cpns/cloud/gw-1/0/key-request/x", "cpns/pan/gw-1/0/key-request",
        "cpns/cloud/gw-1//key-request", "cpns/cloud/gw-1/x/key-request"})
    void parseCloud_foreignOrInvalidTopic_isEmpty(final String topic) {
        assertEquals(Optional.empty(), Topics.parseCloud(topic));
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "cpns", "cpns/pan/pne-1", "cpns/pan/pne-1/key-request/x", "cpns/lan/pne-1/key-request",
        "CPNS/pan/pne-1/key-request", "x/pan/pne-1/key-request", "cpns/pan//key-request", "cpns/pan/+/key-request",
        "cpns/pan/#/key-request", "cpns/pan/../key-request", "cpns/pan/.hidden/key-request",
        "cpns/pan/a b/key-request", "/cpns/pan/pne-1/key-request"})
    void parse_foreignOrInvalidTopic_isEmpty(final String topic) {
        assertEquals(Optional.empty(), Topics.parse(topic));
    }

    @Test
    void parse_idOf65Chars_isEmpty() {
        assertEquals(Optional.empty(), Topics.parse("cpns/pan/" + "e".repeat(65) + "/key-request"));
        assertTrue(Topics.parse("cpns/pan/" + "e".repeat(64) + "/key-request").isPresent());
    }
}
