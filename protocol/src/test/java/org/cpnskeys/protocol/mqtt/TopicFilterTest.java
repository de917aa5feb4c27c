package org.cpnskeys.protocol.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TopicFilterTest {
    @ParameterizedTest(name = "{0} ~ {1} -> {2}")
    @CsvSource({
        "a/b/c, a/b/c, true",
        "a/b/c, a/b, false",
        "a/b, a/b/c, false",
        "a/+/c, a/b/c, true",
        "a/+/c, a/b/d, false",
        "a/+, a/b/c, false",
        "+/+, a/b, true",
        "+, a, true",
        "+, a/b, false",
        "a/+/b, a//b, true",
        "#, a/b/c, true",
        "a/#, a, true",
        "a/#, a/b/c, true",
        "a/#, b/a, false",
        "cpns/pan/+/key-request, cpns/pan/pne-1/key-request, true",
        "cpns/pan/+/key-request, cpns/pan/pne-1/key-delivery, false",
        "$share/cpns-server/cpns/cloud/+/key-request, cpns/cloud/gw-1/key-request, true",
        "$share/cpns-server/cpns/cloud/+/key-request, cpns/cloud/gw-1/status, false",
        "$share/g/#, x/y, true",
        "#, $SYS/broker/uptime, false",
        "+/broker/uptime, $SYS/broker/uptime, false",
        "$SYS/#, $SYS/broker/uptime, true",
        "$share/g/#, $SYS/x, false",
    })
    void matches_filterAndTopic_followsMqttRules(final String filter, final String topic, final boolean expected) {
        assertEquals(expected, TopicFilter.matches(filter, topic));
    }

    @Test
    void unshared_sharedOrPlainFilter_stripsOnlyTheSharePrefix() {
        assertEquals("cpns/cloud/+/key-request", TopicFilter.unshared("$share/cpns-server/cpns/cloud/+/key-request"));
        assertEquals("a/b", TopicFilter.unshared("a/b"));
        assertEquals("$share/g", TopicFilter.unshared("$share/g"));
    }
}
