package org.cpnskeys.deploy.brokers;

import java.util.List;

/**
 * The (client, action, topic) cases of the cloud broker's access rules, with the answer of the embedded broker's
 * {@code CloudAccessPolicy} for the per-instance topic layout ({@code cpns/cloud/{gatewayId}/{instance}/{leaf}}):
 * the cases {@code CloudBrokerIT} and {@code AccessRulesTest} play on the embedded broker (own and other
 * gateway's topics, reply topics, the servers' shared filter, unshared and foreign-group filters, wildcards, a
 * server without its client id prefix, a gateway named like a server), written out for every client kind. A
 * client the policy refuses at CONNECT is denied everything.
 */
final class CloudAclMatrix {
    /** A connected client as a broker sees it: user name, client id and the listener it came in on. */
    record Client(String name, String username, String clientId) {
    }

    enum Action { PUBLISH, SUBSCRIBE }

    /** One case and the policy's answer. */
    record Case(Client client, Action action, String topic, boolean allowed) {
        String key() {
            return client.name() + " " + action + " " + topic;
        }
    }

    static final Client SERVER = new Client("server", "cpns-server", "cpns-server-7f3a");
    /** Refused at CONNECT by the policy: a server account with a client id that lacks the prefix. */
    static final Client SERVER_WITHOUT_PREFIX = new Client("server-without-prefix", "cpns-server", "worker-1");
    static final Client GW1 = new Client("gw1 instance 0", "gw1", "gw1");
    static final Client GW1_3 = new Client("gw1 instance 3", "gw1", "gw1#3");
    static final Client GW2 = new Client("gw2 instance 0", "gw2", "gw2");
    /** Refused at CONNECT by the policy: a Gateway ID with the servers' client id prefix. */
    static final Client LOOKALIKE = new Client("gateway named cpns-server-9", "cpns-server-9", "cpns-server-9");

    private static final String SHARED = "$share/cpns-server/cpns/cloud/+/+/key-request";

    static final List<Case> CASES = List.of(
            // a gateway's first instance: its own request topic, its own replies, nothing of anyone else
            pub(GW1, "cpns/cloud/gw1/0/key-request", true),
            pub(GW1, "cpns/cloud/gw1/3/key-request", false),
            pub(GW1, "cpns/cloud/gw2/0/key-request", false),
            pub(GW1, "cpns/cloud/gw1/0/challenge", false),
            pub(GW1, "cpns/cloud/gw1/0/key-delivery", false),
            pub(GW1, "cpns/cloud/gw1/0/status", false),
            pub(GW1, "cpns/cloud/gw1/key-request", false),
            sub(GW1, "cpns/cloud/gw1/0/challenge", true),
            sub(GW1, "cpns/cloud/gw1/0/key-delivery", true),
            sub(GW1, "cpns/cloud/gw1/0/status", true),
            sub(GW1, "cpns/cloud/gw1/0/+", true),
            sub(GW1, "cpns/cloud/gw1/3/key-delivery", false),
            sub(GW1, "cpns/cloud/gw2/0/key-delivery", false),
            sub(GW1, "cpns/cloud/gw1/+/key-delivery", false),
            sub(GW1, "cpns/cloud/gw1/#", false),
            sub(GW1, "cpns/cloud/+/0/key-delivery", false),
            sub(GW1, "cpns/cloud/+/+/key-request", false),
            sub(GW1, "#", false),
            sub(GW1, SHARED, false),
            sub(GW1, "$share/cpns-server/cpns/cloud/gw1/0/+", false),
            // a further instance: its own number only
            pub(GW1_3, "cpns/cloud/gw1/3/key-request", true),
            pub(GW1_3, "cpns/cloud/gw1/0/key-request", false),
            sub(GW1_3, "cpns/cloud/gw1/3/key-delivery", true),
            sub(GW1_3, "cpns/cloud/gw1/3/+", true),
            sub(GW1_3, "cpns/cloud/gw1/0/key-delivery", false),
            pub(GW2, "cpns/cloud/gw2/0/key-request", true),
            sub(GW2, "cpns/cloud/gw1/0/key-delivery", false),
            // servers: the shared filter of their group, and the three reply leaves of any gateway instance
            sub(SERVER, SHARED, true),
            sub(SERVER, "cpns/cloud/+/+/key-request", false),
            sub(SERVER, "$share/other-group/cpns/cloud/+/+/key-request", false),
            sub(SERVER, "cpns/cloud/+/+/key-delivery", false),
            sub(SERVER, "cpns/cloud/#", false),
            pub(SERVER, "cpns/cloud/gw1/0/challenge", true),
            pub(SERVER, "cpns/cloud/gw1/0/key-delivery", true),
            pub(SERVER, "cpns/cloud/gw2/7/status", true),
            pub(SERVER, "cpns/cloud/gw1/0/key-request", false),
            pub(SERVER, "cpns/cloud/gw1/challenge", false),
            // refused at CONNECT by the policy
            sub(SERVER_WITHOUT_PREFIX, SHARED, false),
            pub(SERVER_WITHOUT_PREFIX, "cpns/cloud/gw1/0/key-delivery", false),
            pub(LOOKALIKE, "cpns/cloud/cpns-server-9/0/key-request", false),
            sub(LOOKALIKE, "cpns/cloud/cpns-server-9/0/+", false),
            sub(LOOKALIKE, SHARED, false));

    private CloudAclMatrix() {
    }

    private static Case pub(final Client client, final String topic, final boolean allowed) {
        return new Case(client, Action.PUBLISH, topic, allowed);
    }

    private static Case sub(final Client client, final String topic, final boolean allowed) {
        return new Case(client, Action.SUBSCRIBE, topic, allowed);
    }

    /**
     * MQTT topic matching of a topic (or a subscribed filter, whose {@code +} and {@code #} then count as plain
     * words) against a rule's filter: {@code +} one level, {@code #} the rest (also the parent level), and no
     * wildcard at the first level matches a topic starting with {@code $} (MQTT 3.1.1 section 4.7.2).
     */
    static boolean matches(final String topic, final String filter) {
        final String[] t = topic.split("/", -1);
        final String[] f = filter.split("/", -1);
        if (t[0].startsWith("$") && (f[0].equals("+") || f[0].equals("#"))) {
            return false;
        }
        for (int i = 0; i < f.length; i++) {
            if (f[i].equals("#")) {
                return true;
            }
            if (i >= t.length || !(f[i].equals("+") || f[i].equals(t[i]))) {
                return false;
            }
        }
        return t.length == f.length;
    }
}
