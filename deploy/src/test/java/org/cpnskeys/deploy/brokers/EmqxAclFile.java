package org.cpnskeys.deploy.brokers;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cpnskeys.deploy.brokers.CloudAclMatrix.Action;
import org.cpnskeys.deploy.brokers.CloudAclMatrix.Client;

/**
 * An EMQX 5 {@code acl.conf} read as EMQX reads it, and the decision EMQX's file authorizer takes for a client, an
 * action and a topic, with the semantics of the EMQX documentation:
 * <ul>
 *   <li>the file is a list of Erlang terms each ended by a period, {@code %%} starts a comment; rules are tried
 *       from the top and the first that matches decides; none: {@code authorization.no_match}
 *       (https://docs.emqx.com/en/emqx/latest/access-control/authz/file.html);</li>
 *   <li>who: {@code all}, {@code {user|username, S}}, {@code {clientid|client, S}}, {@code {_, {re, R}}} (an
 *       unanchored Erlang {@code re} match), {@code {'and', [..]}}, {@code {'or', [..]}}; action {@code publish},
 *       {@code subscribe} or {@code all};</li>
 *   <li>topics: a filter with the placeholders {@code ${clientid}}, {@code ${username}} and
 *       {@code ${client_attrs.NAME}} replaced (https://docs.emqx.com/en/emqx/latest/access-control/authz/authz.html,
 *       "Topic Placeholders"), matched by MQTT rules, or {@code {eq, T}} for exactly T;</li>
 *   <li>a subscription {@code $share/{group}/{filter}} is authorized as {@code {filter}}
 *       (emqx_channel authorizes {@code emqx_topic:get_shared_real_topic}; emqx/emqx-docs pull request 3884).</li>
 * </ul>
 * Client attributes come from {@code mqtt.client_attrs_init} of emqx.conf; only the expression form
 * {@code nth(N, tokens(clientid, 'SEPARATORS'))} is understood (anything else fails the test), and an expression
 * that fails (no N-th token) leaves the attribute unset, as EMQX does
 * (https://docs.emqx.com/en/emqx/latest/client-attributes/client-attributes.html).
 */
final class EmqxAclFile {
    private static final Pattern NTH_TOKENS =
            Pattern.compile("nth\\((\\d+),\\s*tokens\\(clientid,\\s*'([^']+)'\\)\\)");
    private static final Pattern ATTR_INIT = Pattern.compile(
            "\\{\\s*expression\\s*=\\s*\"([^\"]+)\"\\s*,\\s*set_as_attr\\s*=\\s*([A-Za-z0-9_]+)\\s*}");

    private final List<Object> rules;
    private final Map<String, String> attributeExpressions;
    private final boolean noMatchAllows;

    private EmqxAclFile(final List<Object> rules, final Map<String, String> attributeExpressions,
            final boolean noMatchAllows) {
        this.rules = rules;
        this.attributeExpressions = attributeExpressions;
        this.noMatchAllows = noMatchAllows;
    }

    /** Reads acl.conf with the client attributes and the no_match setting of emqx.conf. */
    static EmqxAclFile parse(final String aclConf, final String emqxConf) {
        final Map<String, String> attrs = new HashMap<>();
        final Matcher m = ATTR_INIT.matcher(emqxConf);
        while (m.find()) {
            attrs.put(m.group(2), m.group(1));
        }
        final Matcher noMatch = Pattern.compile("no_match\\s*=\\s*(allow|deny)").matcher(emqxConf);
        return new EmqxAclFile(new ErlangTerms(aclConf).all(), attrs, noMatch.find() && noMatch.group(1).equals("allow"));
    }

    int ruleCount() {
        return rules.size();
    }

    /** Whether EMQX lets this client do this. */
    boolean allows(final Client client, final Action action, final String topic) {
        final Map<String, String> attrs = attributes(client.clientId());
        final String checked = action == Action.SUBSCRIBE ? realTopic(topic) : topic;
        for (final Object rule : rules) {
            final List<?> r = (List<?>) rule;
            if (r.size() == 2 && r.get(1).equals(new Atom("all"))) {
                return r.get(0).equals(new Atom("allow"));
            }
            if (r.size() != 4) {
                throw new IllegalArgumentException("not a rule: " + rule);
            }
            if (who(r.get(1), client) && action(r.get(2), action) && topics((List<?>) r.get(3), checked, client, attrs)) {
                return r.get(0).equals(new Atom("allow"));
            }
        }
        return noMatchAllows;
    }

    private static String realTopic(final String filter) {
        if (filter.startsWith("$share/")) {
            final int slash = filter.indexOf('/', "$share/".length());
            return filter.substring(slash + 1);
        }
        return filter;
    }

    private Map<String, String> attributes(final String clientId) {
        final Map<String, String> attrs = new HashMap<>();
        attributeExpressions.forEach((name, expression) -> {
            final Matcher m = NTH_TOKENS.matcher(expression);
            if (!m.matches()) {
                throw new IllegalArgumentException("client_attrs_init expression not understood here: " + expression);
            }
            final List<String> tokens = new ArrayList<>();
            for (final String t : clientId.split("[" + Pattern.quote(m.group(2)) + "]")) {
                if (!t.isEmpty()) {
                    tokens.add(t);
                }
            }
            final int n = Integer.parseInt(m.group(1));
            if (n >= 1 && n <= tokens.size()) {
                attrs.put(name, tokens.get(n - 1));
            }
        });
        return attrs;
    }

    private static boolean who(final Object spec, final Client client) {
        if (spec.equals(new Atom("all"))) {
            return true;
        }
        final List<?> t = (List<?>) spec;
        final String kind = ((Atom) t.get(0)).name();
        switch (kind) {
            case "user", "username":
                return textMatches(t.get(1), client.username());
            case "client", "clientid":
                return textMatches(t.get(1), client.clientId());
            case "and":
                return ((List<?>) t.get(1)).stream().allMatch(s -> who(s, client));
            case "or":
                return ((List<?>) t.get(1)).stream().anyMatch(s -> who(s, client));
            default:
                throw new IllegalArgumentException("who not understood here: " + spec);
        }
    }

    private static boolean textMatches(final Object spec, final String value) {
        if (spec instanceof String s) {
            return s.equals(value);
        }
        final List<?> re = (List<?>) spec;
        if (!re.get(0).equals(new Atom("re"))) {
            throw new IllegalArgumentException("not {re, R}: " + spec);
        }
        return Pattern.compile((String) re.get(1)).matcher(value).find();
    }

    private static boolean action(final Object spec, final Action action) {
        final String a = ((Atom) spec).name();
        return a.equals("all") || a.equals(action == Action.PUBLISH ? "publish" : "subscribe");
    }

    private static boolean topics(final List<?> patterns, final String topic, final Client client,
            final Map<String, String> attrs) {
        for (final Object p : patterns) {
            if (p instanceof String filter) {
                final Optional<String> rendered = render(filter, client, attrs);
                if (rendered.isPresent() && CloudAclMatrix.matches(topic, rendered.get())) {
                    return true;
                }
            } else if (((List<?>) p).get(0).equals(new Atom("eq")) && ((List<?>) p).get(1).equals(topic)) {
                return true;
            }
        }
        return false;
    }

    /** The filter with its placeholders replaced; empty when it names an attribute the client does not have. */
    private static Optional<String> render(final String filter, final Client client, final Map<String, String> attrs) {
        final Matcher m = Pattern.compile("\\$\\{([A-Za-z0-9_.]+)}").matcher(filter);
        final StringBuilder sb = new StringBuilder();
        while (m.find()) {
            final String name = m.group(1);
            final String value = name.equals("clientid") ? client.clientId()
                    : name.equals("username") ? client.username()
                    : name.startsWith("client_attrs.") ? attrs.get(name.substring("client_attrs.".length())) : null;
            if (value == null) {
                return Optional.empty();
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        return Optional.of(sb.toString());
    }

    /** An Erlang atom. */
    record Atom(String name) {
    }

    /** The Erlang terms of acl.conf: tuples and lists as {@link List}, strings, atoms; each term ends with a period. */
    private static final class ErlangTerms {
        private final String s;
        private int i;

        ErlangTerms(final String text) {
            this.s = text;
        }

        List<Object> all() {
            final List<Object> terms = new ArrayList<>();
            skip();
            while (i < s.length()) {
                terms.add(term());
                skip();
                expect('.');
                skip();
            }
            return terms;
        }

        private Object term() {
            skip();
            final char c = s.charAt(i);
            if (c == '{' || c == '[') {
                i++;
                final char close = c == '{' ? '}' : ']';
                final List<Object> items = new ArrayList<>();
                skip();
                if (s.charAt(i) == close) {
                    i++;
                    return items;
                }
                while (true) {
                    items.add(term());
                    skip();
                    if (s.charAt(i) == close) {
                        i++;
                        return items;
                    }
                    expect(',');
                }
            }
            if (c == '"' || c == '\'') {
                i++;
                final StringBuilder sb = new StringBuilder();
                while (s.charAt(i) != c) {
                    if (s.charAt(i) == '\\') {
                        i++;
                    }
                    sb.append(s.charAt(i++));
                }
                i++;
                return c == '"' ? sb.toString() : new Atom(sb.toString());
            }
            final int start = i;
            while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
                i++;
            }
            if (start == i) {
                throw new IllegalArgumentException("unexpected '" + c + "' at " + i);
            }
            return new Atom(s.substring(start, i));
        }

        private void expect(final char c) {
            if (i >= s.length() || s.charAt(i) != c) {
                throw new IllegalArgumentException("expected '" + c + "' at " + i);
            }
            i++;
        }

        private void skip() {
            while (i < s.length()) {
                if (Character.isWhitespace(s.charAt(i))) {
                    i++;
                } else if (s.charAt(i) == '%') {
                    while (i < s.length() && s.charAt(i) != '\n') {
                        i++;
                    }
                } else {
                    return;
                }
            }
        }
    }
}
