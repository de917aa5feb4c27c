package org.cpnskeys.protocol.mqtt;

/** MQTT topic-filter matching ({@code +}, {@code #}, and {@code $share/group/} prefixes). */
public final class TopicFilter {
    private TopicFilter() {
    }

    /** The filter without its shared-subscription prefix. */
    public static String unshared(final String filter) {
        if (filter.startsWith("$share/")) {
            final int slash = filter.indexOf('/', "$share/".length());
            return slash < 0 ? filter : filter.substring(slash + 1);
        }
        return filter;
    }

    /**
     * Whether {@code topic} matches {@code filter}, level by level, without allocating: every message received is
     * dispatched through it (the version built on {@code String.split} showed in the profile).
     */
    public static boolean matches(final String filter, final String topic) {
        int f = 0;
        if (filter.startsWith("$share/")) {
            final int slash = filter.indexOf('/', "$share/".length());
            if (slash >= 0) {
                f = slash + 1;
            }
        }
        // MQTT 3.1.1 section 4.7.2 / MQTT 5 section 4.7.2: a filter starting with a wildcard never matches
        // a topic starting with '$' (such as $SYS/...).
        if (topic.startsWith("$") && f < filter.length() && (filter.charAt(f) == '+' || filter.charAt(f) == '#')) {
            return false;
        }
        int t = 0;
        final int fLen = filter.length();
        final int tLen = topic.length();
        while (true) {
            final int fEnd = end(filter, f);
            final int fLevel = fEnd - f;
            if (fLevel == 1 && filter.charAt(f) == '#') {
                return true;
            }
            if (t > tLen) {
                return false; // the topic has fewer levels than the filter
            }
            final int tEnd = end(topic, t);
            if (!(fLevel == 1 && filter.charAt(f) == '+')
                    && (fLevel != tEnd - t || !filter.regionMatches(f, topic, t, fLevel))) {
                return false;
            }
            f = fEnd + 1;
            t = tEnd + 1;
            if (f > fLen) {
                return t > tLen; // filter exhausted: a match only if the topic is too
            }
        }
    }

    /** The end (exclusive) of the level starting at {@code from}: the next '/' or the length. */
    private static int end(final String s, final int from) {
        final int slash = s.indexOf('/', from);
        return slash < 0 ? s.length() : slash;
    }
}
