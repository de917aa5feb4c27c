package org.cpnskeys.deploy.brokers;

import static org.cpnskeys.deploy.brokers.ExternalBrokerAclTest.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.cpnskeys.deploy.Cpns;
import org.cpnskeys.protocol.Topics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.w3c.dom.Comment;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

/**
 * The clustered brokers' configuration files (deploy/brokers/) say what their READMEs and docs/PROTOCOL.md say:
 * the ports of the gateways' and the servers' listeners, TLS 1.3/1.2 and nothing older, no plain listener, the
 * servers' share group, deny by default; and every {@code cpns} command line of the READMEs parses with the
 * launcher and points servers and gateways at the right port. Syntax is checked as far as can be without the
 * brokers: emqx.conf for balanced HOCON braces (no HOCON parser is on the project's package list), vernemq.conf
 * as {@code key = value} lines, HiveMQ's config.xml with the JDK's XML parser.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ExternalBrokerConfigTest {
    private static final Set<Integer> GATEWAY_PORTS = Set.of(8883, 8884);
    private static final int SERVER_PORT = 8885;

    @Test
    void emqxConf_listenersPortsTlsAndDefaults_asTheReadmeSays() throws IOException {
        final String withComments = read("emqx/emqx.conf");
        final String conf = withComments.replaceAll("(?m)^\\s*#.*$", "");

        assertBalanced(withComments);
        assertEquals(new TreeSet<>(Set.of(8883, 8884, 8885)), ints(conf, "bind = \"0\\.0\\.0\\.0:(\\d+)\""));
        assertEquals(3, count(conf, "versions = \\[\"tlsv1\\.3\", \"tlsv1\\.2\"]"), "TLS versions of the three listeners");
        assertEquals(3, count(conf, "versions ="));
        for (final String plain : List.of("tcp.default", "ws.default", "wss.default", "ssl.default")) {
            assertTrue(conf.contains(plain + " { enable = false }"), plain + " must be off");
        }
        assertTrue(conf.contains("shared_subscription = true"));
        assertTrue(conf.contains("no_match = deny"));
        assertTrue(conf.contains("path = \"/opt/emqx/etc/acl.conf\""));
        assertEquals(2, count(conf, "user_id_type = clientid|user_id_type = username"));
        // every client attribute acl.conf uses is set by client_attrs_init
        final Matcher used = Pattern.compile("\\$\\{client_attrs\\.([a-z_]+)}").matcher(read("emqx/acl.conf"));
        while (used.find()) {
            assertTrue(conf.contains("set_as_attr = " + used.group(1)), used.group(1));
        }
    }

    @Test
    void vernemqConf_keyValueLinesPortsAndTls_asTheReadmeSays() throws IOException {
        final Map<String, String> conf = new HashMap<>();
        for (final String line : read("vernemq/vernemq.conf").split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            final Matcher kv = Pattern.compile("([a-z0-9_.]+) = (\\S.*)").matcher(line);
            assertTrue(kv.matches(), "not 'key = value': " + line);
            assertEquals(null, conf.put(kv.group(1), kv.group(2)), "set twice: " + kv.group(1));
        }

        assertEquals("0.0.0.0:8883", conf.get("listener.ssl.gateways"));
        assertEquals("0.0.0.0:8884", conf.get("listener.ssl.gateways_cert"));
        assertEquals("0.0.0.0:8885", conf.get("listener.ssl.servers"));
        assertEquals("on", conf.get("listener.ssl.gateways_cert.require_certificate"));
        assertEquals("tlsv1.2", conf.get("listener.ssl.tls_version"));
        assertEquals("off", conf.get("listener.tcp.default"));
        assertEquals("off", conf.get("allow_anonymous"));
        assertEquals("/etc/vernemq/vmq.acl", conf.get("vmq_acl.acl_file"));
        assertTrue(read("vernemq/vmq.acl").contains("topic read $share/" + Topics.SERVER_SHARE_GROUP + "/cpns/cloud/+/+/key-request"));
    }

    @Test
    void hivemqEnterpriseConfig_listenersTlsAndCluster_asTheReadmeSays() throws Exception {
        final String xml = read("hivemq-enterprise/config.xml");
        final Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));

        final NodeList tls = doc.getElementsByTagName("tls-tcp-listener");
        final Set<Integer> ports = new TreeSet<>();
        for (int i = 0; i < tls.getLength(); i++) {
            final Element listener = (Element) tls.item(i);
            ports.add(Integer.parseInt(text(listener, "port")));
            final NodeList protocols = listener.getElementsByTagName("protocol");
            final List<String> versions = new ArrayList<>();
            for (int p = 0; p < protocols.getLength(); p++) {
                versions.add(protocols.item(p).getTextContent());
            }
            assertEquals(List.of("TLSv1.3", "TLSv1.2"), versions);
        }
        assertEquals(new TreeSet<>(Set.of(8883, SERVER_PORT)), ports);
        assertEquals(0, doc.getElementsByTagName("tcp-listener").getLength(), "no plain listener");
        final Element cluster = (Element) doc.getElementsByTagName("cluster").item(0);
        assertEquals("true", text(cluster, "enabled"));
        assertEquals(3, cluster.getElementsByTagName("node").getLength());
        assertEquals("true", text((Element) doc.getElementsByTagName("shared-subscriptions").item(0), "enabled"));
        assertEquals("false", text((Element) doc.getElementsByTagName("retained-messages").item(0), "enabled"));
        assertNoPlaceholderInComments(doc);
    }

    @Test
    void readmes_everyCpnsCommandParses_andPointsServersAndGatewaysAtTheirPorts() throws IOException {
        for (final String broker : List.of("emqx", "vernemq", "hivemq-enterprise")) {
            final String readme = read(broker + "/README.md");
            assertTrue(readme.contains("cpns server --broker-host"), broker);
            for (final String line : readme.split("\n")) {
                if (!line.startsWith("cpns ")) {
                    continue;
                }
                final List<String> args = List.of(line.substring("cpns ".length()).split(" +"));
                try {
                    Cpns.commandLine().parseArgs(args.toArray(String[]::new));
                } catch (CommandLine.ParameterException e) {
                    throw new AssertionError(broker + ": `" + line + "` is refused: " + e.getMessage(), e);
                }
                final int broker1 = args.indexOf("--broker-port");
                if (broker1 >= 0) {
                    assertEquals(SERVER_PORT, Integer.parseInt(args.get(broker1 + 1)), broker + ": " + line);
                }
                final int cloud = args.indexOf("--cloud-port");
                if (cloud >= 0) {
                    assertTrue(GATEWAY_PORTS.contains(Integer.parseInt(args.get(cloud + 1))), broker + ": " + line);
                }
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void emqxCompose_threeNodesNamedAsTheSeeds_mountTheFilesWhereEmqxConfReadsThem() throws IOException {
        final String conf = read("emqx/emqx.conf");
        final Map<String, Object> compose = new Yaml().load(read("emqx/compose.yaml"));
        final Map<String, Object> services = (Map<String, Object>) compose.get("services");

        assertEquals(3, services.size());
        final Set<String> nodes = new TreeSet<>();
        for (final Object s : services.values()) {
            final Map<String, Object> service = (Map<String, Object>) s;
            final String node = (String) ((Map<String, Object>) service.get("environment")).get("EMQX_NODE__NAME");
            nodes.add(node);
            assertTrue(conf.contains("\"" + node + "\""), node + " is not a static seed of emqx.conf");
            final List<String> volumes = (List<String>) service.get("volumes");
            assertTrue(volumes.contains("./emqx.conf:/opt/emqx/etc/emqx.conf:ro"), volumes.toString());
            assertTrue(volumes.contains("./acl.conf:/opt/emqx/etc/acl.conf:ro"), volumes.toString());
            assertTrue(volumes.contains("./certs:/opt/emqx/etc/certs:ro"), volumes.toString());
            final Set<Integer> published = new TreeSet<>();
            for (final Object port : (List<Object>) service.get("ports")) {
                published.add(Integer.parseInt(port.toString().substring(port.toString().indexOf(':') + 1)));
            }
            assertEquals(new TreeSet<>(Set.of(8883, 8884, 8885)), published);
        }
        assertEquals(3, nodes.size());
        assertTrue(conf.contains("cacertfile = \"/opt/emqx/etc/certs/cloud-ca.pem\""));
    }

    @Test
    void braceCheck_unbalancedConf_refused() {
        assertThrows(() -> assertBalanced("a { b = [1, 2 }"));
        assertThrows(() -> assertBalanced("a { b = \"}\" "));
    }

    private static void assertThrows(final Runnable r) {
        try {
            r.run();
        } catch (AssertionError expected) {
            return;
        }
        throw new AssertionError("accepted");
    }

    /** Braces and brackets of a HOCON file pair up, outside strings and # / // comments. */
    private static void assertBalanced(final String hocon) {
        final StringBuilder open = new StringBuilder();
        for (final String line : hocon.split("\n")) {
            boolean inString = false;
            for (int i = 0; i < line.length(); i++) {
                final char c = line.charAt(i);
                if (c == '"') {
                    inString = !inString;
                } else if (!inString && (c == '#' || line.startsWith("//", i))) {
                    break;
                } else if (!inString && (c == '{' || c == '[')) {
                    open.append(c);
                } else if (!inString && (c == '}' || c == ']')) {
                    final char expected = c == '}' ? '{' : '[';
                    assertTrue(open.length() > 0 && open.charAt(open.length() - 1) == expected, "unbalanced at: " + line);
                    open.setLength(open.length() - 1);
                }
            }
            assertFalse(inString, "unterminated string: " + line);
        }
        assertEquals("", open.toString(), "unclosed");
    }

    private static void assertNoPlaceholderInComments(final Node node) {
        for (Node child = node.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child instanceof Comment comment) {
                assertFalse(comment.getData().contains("${"), "HiveMQ expands placeholders in comments: " + comment.getData());
            }
            assertNoPlaceholderInComments(child);
        }
    }

    private static String text(final Element parent, final String tag) {
        return parent.getElementsByTagName(tag).item(0).getTextContent().strip();
    }

    private static Set<Integer> ints(final String text, final String regex) {
        final Set<Integer> values = new TreeSet<>();
        final Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            values.add(Integer.parseInt(m.group(1)));
        }
        return values;
    }

    private static int count(final String text, final String regex) {
        int n = 0;
        final Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            n++;
        }
        return n;
    }
}
