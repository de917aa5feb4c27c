package org.cpnskeys.protocol.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TopicFilterTest {
    /** The plain reading of the MQTT rules, level lists compared one by one: the reference for the random test. */
    private static boolean reference(final String filter, final String topic) {
        final String plain = TopicFilter.unshared(filter);
        if (topic.startsWith("$") && (plain.startsWith("+") || plain.startsWith("#"))) {
            return false;
        }
        final String[] f = plain.split("/", -1);
        final String[] t = topic.split("/", -1);
        for (int i = 0; i < f.length; i++) {
            if ("#".equals(f[i])) {
                return true;
            }
            if (i >= t.length) {
                return false;
            }
            if (!"+".equals(f[i]) && !f[i].equals(t[i])) {
                return false;
            }
        }
        return f.length == t.length;
    }

    /** Verifies that the allocation-free matcher agrees with the reference on 300,000 random pairs. */
    @Test
    void matches_randomFiltersAndTopics_agreesWithReference() {
        final java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        final String[] filterParts = {"a", "b", "", "+", "#", "ab", "$SYS", "$share"};
        final String[] topicParts = {"a", "b", "", "ab", "$SYS", "ba"};
        int matched = 0;
        for (int i = 0; i < 300_000; i++) {
            final StringBuilder filter = new StringBuilder(random.nextInt(5) == 0 ? "$share/g/" : "");
            final StringBuilder topic = new StringBuilder();
            final int fl = 1 + random.nextInt(4);
            for (int j = 0; j < fl; j++) {
                filter.append(j == 0 ? "" : "/").append(filterParts[random.nextInt(filterParts.length)]);
            }
            final int tl = 1 + random.nextInt(4);
            for (int j = 0; j < tl; j++) {
                topic.append(j == 0 ? "" : "/").append(topicParts[random.nextInt(topicParts.length)]);
            }
            final boolean expected = reference(filter.toString(), topic.toString());
            assertEquals(expected, TopicFilter.matches(filter.toString(), topic.toString()), filter + " ~ " + topic);
            matched += expected ? 1 : 0;
        }
        org.junit.jupiter.api.Assertions.assertTrue(matched > 10_000, "matches occur in the sample: " + matched);
    }

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
        "$share/cpns-server/cpns/cloud/+/+/key-request, cpns/cloud/gw-1/0/key-request, true",
        "$share/cpns-server/cpns/cloud/+/+/key-request, cpns/cloud/gw-1/0/status, false",
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
        assertEquals("cpns/cloud/+/+/key-request", TopicFilter.unshared("$share/cpns-server/cpns/cloud/+/+/key-request"));
        assertEquals("a/b", TopicFilter.unshared("a/b"));
        assertEquals("$share/g", TopicFilter.unshared("$share/g"));
    }
}
