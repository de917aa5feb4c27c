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

    public static boolean matches(final String filter, final String topic) {
        final String plain = unshared(filter);
        // MQTT 3.1.1 section 4.7.2 / MQTT 5 section 4.7.2: a filter starting with a wildcard never matches
        // a topic starting with '$' (such as $SYS/...).
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
}
