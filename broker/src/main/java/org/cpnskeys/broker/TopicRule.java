package org.cpnskeys.broker;

/**
 * One thing a client may do: publish and/or subscribe on a topic filter. Wildcards in {@code filter} match as in
 * MQTT; a subscription is allowed when the rule's filter covers the whole subscribed filter (a rule
 * {@code cpns/pan/a/+} allows subscribing {@code cpns/pan/a/+} or {@code cpns/pan/a/status}, not {@code cpns/pan/#}).
 *
 * <p>A shared rule ({@code shared == true}) allows a shared subscription only, and its filter is written the way
 * the client subscribes: {@code $share/<group>/<filter>}. A rule that is not shared never allows a
 * {@code $share/...} subscription.
 *
 * @param filter the MQTT topic filter; with {@code $share/<group>/} in front exactly when {@code shared}
 * @param activity what the rule allows
 * @param shared whether this subscribe rule is for a {@code $share/<group>/} subscription
 */
public record TopicRule(String filter, Activity activity, boolean shared) {
    /** What a rule allows. */
    public enum Activity {
        PUBLISH, SUBSCRIBE, BOTH
    }

    private static final String SHARE_PREFIX = "$share/";

    public TopicRule {
        if (filter == null || filter.isEmpty()) {
            throw new IllegalArgumentException("topic filter is missing");
        }
        if (activity == null) {
            throw new IllegalArgumentException("activity is missing");
        }
        final boolean sharePrefixed = filter.startsWith(SHARE_PREFIX);
        if (shared != sharePrefixed) {
            throw new IllegalArgumentException(shared
                    ? "a shared rule's filter must start with $share/<group>/: " + filter
                    : "a $share/ filter needs a shared rule: " + filter);
        }
        if (shared) {
            if (activity != Activity.SUBSCRIBE) {
                throw new IllegalArgumentException("a shared rule can only allow SUBSCRIBE");
            }
            final int slash = filter.indexOf('/', SHARE_PREFIX.length());
            if (slash <= SHARE_PREFIX.length() || slash == filter.length() - 1) {
                throw new IllegalArgumentException("shared filter must be $share/<group>/<filter>: " + filter);
            }
            final String group = filter.substring(SHARE_PREFIX.length(), slash);
            if (group.contains("+") || group.contains("#")) {
                throw new IllegalArgumentException("shared group must not hold wildcards: " + filter);
            }
        }
        if (filter.startsWith("$") && !shared) {
            throw new IllegalArgumentException("rules for $-topics are not supported: " + filter);
        }
    }

    public static TopicRule publish(final String filter) {
        return new TopicRule(filter, Activity.PUBLISH, false);
    }

    public static TopicRule subscribe(final String filter) {
        return new TopicRule(filter, Activity.SUBSCRIBE, false);
    }

    /** A rule for a shared subscription; {@code sharedFilter} is {@code $share/<group>/<filter>}. */
    public static TopicRule subscribeShared(final String sharedFilter) {
        return new TopicRule(sharedFilter, Activity.SUBSCRIBE, true);
    }

    /** The shared group of a shared rule. */
    String sharedGroup() {
        if (!shared) {
            throw new IllegalStateException("not a shared rule");
        }
        return filter.substring(SHARE_PREFIX.length(), filter.indexOf('/', SHARE_PREFIX.length()));
    }

    /** The filter without the {@code $share/<group>/} prefix. */
    String plainFilter() {
        if (!shared) {
            return filter;
        }
        return filter.substring(filter.indexOf('/', SHARE_PREFIX.length()) + 1);
    }
}
