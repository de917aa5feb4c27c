package org.cpnskeys.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The Compose file and the Kubernetes manifests in deploy/ say what the launcher really accepts: every
 * {@code cpns} command line in them parses with the launcher's own picocli model, every {@code CPNS_*}
 * variable they set is one an option of that command reads, and the probes and ports match the management
 * port and the cluster port the servers are given. (Running them needs Docker Compose or a Kubernetes cluster:
 * see deploy/README.md for what was run where.)
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeploymentManifestsTest {
    private static final Path DEPLOY = locateDeploy();
    private static final Set<String> IMAGES = Set.of("cpns-keys:local", "cpns-postgres:local");

    @Test
    void kubernetes_everyCpnsContainer_argsAndEnvironmentAcceptedByTheLauncher() throws IOException {
        final List<Map<String, Object>> docs = kubernetesDocuments();
        final Map<String, Map<String, Object>> configMaps = new HashMap<>();
        final Set<String> services = new HashSet<>();
        for (final Map<String, Object> d : docs) {
            if ("ConfigMap".equals(d.get("kind"))) {
                configMaps.put(name(d), map(d.get("data")));
            } else if ("Service".equals(d.get("kind"))) {
                services.add(name(d));
            }
        }
        final Set<String> generatedSecrets = kustomizeSecrets();
        int containers = 0;
        for (final Map<String, Object> d : docs) {
            if (!List.of("Deployment", "StatefulSet").contains(d.get("kind"))) {
                continue;
            }
            final Map<String, Object> podSpec = map(map(map(d.get("spec")).get("template")).get("spec"));
            final Set<String> volumes = new HashSet<>();
            for (final Map<String, Object> claim : list(map(d.get("spec")).get("volumeClaimTemplates"))) {
                volumes.add(name(claim));
            }
            for (final Map<String, Object> v : list(podSpec.get("volumes"))) {
                volumes.add((String) v.get("name"));
                if (v.get("secret") != null) {
                    final String secret = (String) map(v.get("secret")).get("secretName");
                    assertTrue(generatedSecrets.contains(secret), name(d) + " mounts Secret " + secret
                            + ", which kustomization.yaml does not generate");
                }
            }
            for (final Map<String, Object> c : list(podSpec.get("containers"))) {
                containers++;
                assertTrue(IMAGES.contains((String) c.get("image")), "a locally built image: " + c.get("image"));
                for (final Map<String, Object> m : list(c.get("volumeMounts"))) {
                    assertTrue(volumes.contains((String) m.get("name")), name(d) + " mounts " + m.get("name"));
                }
                if (!"cpns-keys:local".equals(c.get("image"))) {
                    continue;
                }
                final List<String> args = strings(c.get("args"));
                final Map<String, String> env = new HashMap<>();
                for (final Map<String, Object> ref : list(c.get("envFrom"))) {
                    final String cm = (String) map(ref.get("configMapRef")).get("name");
                    assertTrue(configMaps.containsKey(cm), "ConfigMap " + cm + " exists");
                    configMaps.get(cm).forEach((k, v) -> env.put(k, String.valueOf(v)));
                }
                for (final Map<String, Object> e : list(c.get("env"))) {
                    env.put((String) e.get("name"), e.get("value") == null ? "(from the pod)" : (String) e.get("value"));
                }
                final CommandSpec command = parse(args, name(d));
                final Set<String> read = environmentVariablesRead(command);
                for (final String variable : env.keySet()) {
                    assertTrue(read.contains(variable), name(d) + ": `cpns " + String.join(" ", args) + "` reads no "
                            + variable + " (it reads " + new java.util.TreeSet<>(read) + ")");
                }
                if ("server".equals(command.name())) {
                    checkServer(d, c, env, services);
                    assertEquals("verify-full", env.get("CPNS_PG_SSL_MODE"), "the store is reached over verified TLS");
                    assertTrue(secretMounted(podSpec, c, env.get("CPNS_PG_CA_FILE")).isPresent(),
                            "the PostgreSQL CA comes from a Secret: " + env.get("CPNS_PG_CA_FILE"));
                    assertFalse(env.containsKey("CPNS_REALM"), "the realm is the users' own, not a shared name");
                }
            }
        }
        assertTrue(containers >= 3, "server, broker and PostgreSQL containers found: " + containers);
    }

    /** PostgreSQL serves TLS with a certificate and key from a Secret the kustomization generates. */
    @Test
    void kubernetes_postgres_servesTlsFromASecret() throws IOException {
        final Map<String, Object> sts = kubernetesDocuments().stream()
                .filter(d -> "StatefulSet".equals(d.get("kind")) && "cpns-postgres".equals(name(d))).findFirst()
                .orElseThrow();
        final Map<String, Object> podSpec = map(map(map(sts.get("spec")).get("template")).get("spec"));
        final Map<String, Object> c = list(podSpec.get("containers")).get(0);
        final String args = String.join(" ", strings(c.get("args")));
        assertTrue(args.contains("ssl=on"), args);
        for (final String setting : List.of("ssl_cert_file", "ssl_key_file")) {
            final java.util.regex.Matcher m = java.util.regex.Pattern.compile(setting + "=(\\S+)").matcher(args);
            assertTrue(m.find(), setting + " in " + args);
            final Optional<String> secret = secretMounted(podSpec, c, m.group(1));
            assertTrue(secret.isPresent() && kustomizeSecrets().contains(secret.get()), setting + " from a generated Secret");
        }
    }

    /** The Secret mounted at the folder of {@code file} in container {@code c}, if one is. */
    private static Optional<String> secretMounted(final Map<String, Object> podSpec, final Map<String, Object> c,
            final String file) {
        if (file == null) {
            return Optional.empty();
        }
        for (final Map<String, Object> m : list(c.get("volumeMounts"))) {
            if (file.startsWith(m.get("mountPath") + "/")) {
                for (final Map<String, Object> v : list(podSpec.get("volumes"))) {
                    if (m.get("name").equals(v.get("name")) && v.get("secret") != null) {
                        return Optional.of((String) map(v.get("secret")).get("secretName"));
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** Probes on the management port's /ready and /health; the Hazelcast port is the one the server is given. */
    private static void checkServer(final Map<String, Object> deployment, final Map<String, Object> c,
            final Map<String, String> env, final Set<String> services) {
        assertEquals("Deployment", deployment.get("kind"), "the servers are a Deployment");
        assertTrue(((Number) map(deployment.get("spec")).get("replicas")).intValue() >= 2, "replicas");
        assertEquals("true", env.get("CPNS_CLUSTER"));
        assertEquals("postgres", env.get("CPNS_STORE"), "a clustered server needs the shared store");
        assertTrue(env.containsKey("CPNS_SHARED_SECRETS"), "a clustered server needs the shared secrets");
        assertEquals("0.0.0.0", env.get("CPNS_MANAGEMENT_BIND"), "probes come from the kubelet, not loopback");
        assertTrue(services.contains(env.get("CPNS_CLUSTER_DNS")), "the discovery Service exists");
        assertTrue(env.containsKey("CPNS_CLUSTER_HOST"), "each member announces its pod IP");
        final Map<String, Integer> ports = new HashMap<>();
        for (final Map<String, Object> p : list(c.get("ports"))) {
            ports.put((String) p.get("name"), ((Number) p.get("containerPort")).intValue());
        }
        assertEquals(Integer.valueOf(env.get("CPNS_MANAGEMENT_PORT")), ports.get("management"));
        assertEquals(Integer.valueOf(env.get("CPNS_CLUSTER_PORT")), ports.get("hazelcast"));
        final Map<String, Object> readiness = map(map(c.get("readinessProbe")).get("httpGet"));
        final Map<String, Object> liveness = map(map(c.get("livenessProbe")).get("httpGet"));
        assertEquals("/ready", readiness.get("path"));
        assertEquals("/health", liveness.get("path"));
        assertEquals("management", readiness.get("port"));
        assertEquals("management", liveness.get("port"));
    }

    @Test
    void kubernetes_cloudLegTls_certificatesFromSecrets() throws IOException {
        final List<Map<String, Object>> docs = kubernetesDocuments();
        final Map<String, String> config = new HashMap<>();
        docs.stream().filter(d -> "ConfigMap".equals(d.get("kind")))
                .forEach(d -> map(d.get("data")).forEach((k, v) -> config.put(k, String.valueOf(v))));
        final Set<String> generated = kustomizeSecrets();
        int checked = 0;
        for (final Map<String, Object> d : docs) {
            if (!List.of("Deployment", "StatefulSet").contains(d.get("kind"))) {
                continue;
            }
            final Map<String, Object> podSpec = map(map(map(d.get("spec")).get("template")).get("spec"));
            final Map<String, String> secretOfVolume = new HashMap<>();
            for (final Map<String, Object> v : list(podSpec.get("volumes"))) {
                if (v.get("secret") != null) {
                    secretOfVolume.put((String) v.get("name"), (String) map(v.get("secret")).get("secretName"));
                }
            }
            for (final Map<String, Object> c : list(podSpec.get("containers"))) {
                if (!"cpns-keys:local".equals(c.get("image"))) {
                    continue;
                }
                final Map<String, String> secretMounts = new HashMap<>();
                for (final Map<String, Object> m : list(c.get("volumeMounts"))) {
                    if (secretOfVolume.containsKey((String) m.get("name"))) {
                        secretMounts.put((String) m.get("mountPath"), secretOfVolume.get((String) m.get("name")));
                    }
                }
                final List<String> args = strings(c.get("args"));
                assertFalse(args.contains("--insecure-plaintext") || "true".equals(config.get("CPNS_INSECURE_PLAINTEXT")),
                        name(d) + " runs the cloud leg in plain text");
                final String command = parse(args, name(d)).name();
                final String caPath;
                if ("broker".equals(command)) {
                    caPath = value(args, "--cloud-ca-folder") + "/";
                } else if ("server".equals(command)) {
                    caPath = config.get("CPNS_BROKER_CA");
                    assertTrue(caPath != null, "the servers trust the broker's CA (CPNS_BROKER_CA)");
                } else {
                    continue;
                }
                final String mount = secretMounts.keySet().stream().filter(caPath::startsWith).findFirst()
                        .orElseThrow(() -> new AssertionError(name(d) + ": the cloud CA " + caPath + " is in no Secret"));
                assertTrue(generated.contains(secretMounts.get(mount)), secretMounts.get(mount) + " is generated");
                checked++;
            }
        }
        assertEquals(2, checked, "the broker and the servers get the cloud CA from Secrets");
    }

    @Test
    void compose_cloudLegTls_serversTrustTheCaGatewayTakesItsFile() throws IOException {
        final Map<String, Object> services = map(load(DEPLOY.resolve("compose/compose.yaml")).get(0).get("services"));
        for (final Map.Entry<String, Object> e : services.entrySet()) {
            final List<String> args = strings(map(e.getValue()).get("command"));
            assertFalse(args.contains("--insecure-plaintext"), e.getKey() + " runs the cloud leg in plain text");
            if (args.contains("--broker-host")) {
                assertTrue(value(args, "--broker-ca").startsWith("/data/broker/cloud-ca/"), e.getKey() + " trusts the cloud CA");
            }
        }
        final List<String> gateway = strings(map(services.get("gateway")).get("command"));
        assertEquals("/data/home-gw.cpns", value(gateway, "--cloud-config"), "the gateway takes the add-gateway file");
        final List<String> init = strings(map(services.get("init-gateway-token")).get("command"));
        assertEquals("/data/home-gw.cpns", value(init, "--out"));
        assertEquals("/data/broker", value(init, "--data"), "the cloud CA is created where the broker finds it");
        assertEquals("broker", value(strings(map(services.get("broker")).get("command")), "--tls-name"));
    }

    @Test
    void compose_everyCpnsService_commandAcceptedAndServersClustered() throws IOException {
        final Map<String, Object> compose = load(DEPLOY.resolve("compose/compose.yaml")).get(0);
        final Map<String, Object> services = map(compose.get("services"));
        for (final String required : List.of("broker", "postgres", "server-1", "server-2", "gateway", "pne")) {
            assertTrue(services.containsKey(required), "compose service " + required);
        }
        final Set<String> images = new HashSet<>();
        final List<String> members = new ArrayList<>();
        for (final Map.Entry<String, Object> e : services.entrySet()) {
            final Map<String, Object> s = map(e.getValue());
            // "${CPNS_IMAGE:-cpns-keys:local}": another tag can be given for a test build; the default is the local one
            final String image = ((String) s.get("image")).replaceAll("^\\$\\{[A-Z_]+:-(.*)}$", "$1");
            images.add(image);
            if (!"cpns-keys:local".equals(image)) {
                continue;
            }
            final List<String> args = strings(s.get("command"));
            final CommandSpec command = parse(args, e.getKey());
            if ("server".equals(command.name())) {
                final String host = value(args, "--cluster-host");
                final Map<String, Object> network = map(map(s.get("networks")).get("cpns"));
                assertEquals(network.get("ipv4_address"), host, e.getKey() + " announces its own address");
                members.add(host + ":" + value(args, "--cluster-port"));
                assertEquals(List.of("172.28.0.11:5701", "172.28.0.12:5701"),
                        List.of(value(args, "--cluster-members").split(",")), "every member listed");
                assertEquals("postgres", value(args, "--store"));
                assertEquals("verify-full", value(args, "--pg-ssl-mode"), e.getKey() + " verifies PostgreSQL's certificate");
                assertTrue(value(args, "--pg-ca-file").startsWith("/data/pg-tls/"), "the CA init-pg-tls made");
            }
            for (final Map.Entry<String, Object> d : map(s.get("depends_on")).entrySet()) {
                assertTrue(services.containsKey(d.getKey()), e.getKey() + " depends on " + d.getKey());
            }
        }
        final String pgCommand = String.join(" ", strings(map(services.get("postgres")).get("command")));
        assertTrue(pgCommand.contains("ssl=on") && pgCommand.contains("ssl_cert_file=/shared/pg-tls/server.pem")
                && pgCommand.contains("ssl_key_file=/shared/pg-tls/server.key"), pgCommand);
        assertTrue(map(map(services.get("postgres")).get("depends_on")).containsKey("init-pg-tls"));
                assertEquals(2, members.size(), "two servers");
        assertEquals(IMAGES, images, "only the locally built images");
    }

    /** Parses the command line with the launcher's picocli model; returns the (sub)command it selects. */
    /**
     * Verifies the NetworkPolicies ([H] 4e): the servers' pods (selected by the labels the server Deployment gives
     * them) admit the cluster port only from other servers, and PostgreSQL's pods admit only the servers, on 5432.
     */
    @Test
    void kubernetes_networkPolicies_onlyServersReachClusterPortAndDatabase() throws IOException {
        final List<Map<String, Object>> docs = kubernetesDocuments();
        final Map<String, Object> serverLabels = podLabels(docs, "Deployment", "cpns-server");
        final Map<String, Object> postgresLabels = podLabels(docs, "StatefulSet", "cpns-postgres");
        final int clusterPort = containerPort(docs, "cpns-server", "hazelcast");
        final Map<String, Object> server = policyFor(docs, serverLabels);
        for (final Map<String, Object> rule : list(map(server.get("spec")).get("ingress"))) {
            final List<Map<String, Object>> from = list(rule.get("from"));
            final List<Object> ports = list(rule.get("ports")).stream().map(p -> p.get("port")).toList();
            if (from.isEmpty()) {
                assertFalse(ports.isEmpty() || ports.contains(clusterPort) || ports.contains("hazelcast"),
                        "a rule open to all pods names ports, never the cluster port: " + rule);
            } else {
                assertEquals(List.of(Map.of("podSelector", Map.of("matchLabels", serverLabels))), from,
                        "a rule with sources admits the servers only: " + rule);
            }
        }
        assertTrue(list(map(server.get("spec")).get("ingress")).stream().anyMatch(r -> !list(r.get("from")).isEmpty()),
                "the servers reach each other");
        final Map<String, Object> postgres = policyFor(docs, postgresLabels);
        assertEquals(List.of(Map.of("from", List.of(Map.of("podSelector", Map.of("matchLabels", serverLabels))),
                        "ports", List.of(Map.of("protocol", "TCP", "port", 5432)))),
                list(map(postgres.get("spec")).get("ingress")), "PostgreSQL admits the servers only, on 5432");
    }

    private static Map<String, Object> podLabels(final List<Map<String, Object>> docs, final String kind,
            final String name) {
        return docs.stream().filter(d -> kind.equals(d.get("kind")) && name.equals(name(d)))
                .map(d -> map(map(map(map(d.get("spec")).get("template")).get("metadata")).get("labels")))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    private static int containerPort(final List<Map<String, Object>> docs, final String deployment, final String port) {
        final Map<String, Object> d = docs.stream().filter(x -> deployment.equals(name(x)) && "Deployment".equals(x.get("kind")))
                .findFirst().orElseThrow();
        for (final Map<String, Object> c : list(map(map(map(d.get("spec")).get("template")).get("spec")).get("containers"))) {
            for (final Map<String, Object> p : list(c.get("ports"))) {
                if (port.equals(p.get("name"))) {
                    return (Integer) p.get("containerPort");
                }
            }
        }
        throw new AssertionError("no port " + port + " in " + deployment);
    }

    /** The one NetworkPolicy selecting pods with exactly these labels; it must restrict ingress. */
    private static Map<String, Object> policyFor(final List<Map<String, Object>> docs, final Map<String, Object> labels) {
        final List<Map<String, Object>> found = docs.stream().filter(d -> "NetworkPolicy".equals(d.get("kind"))
                && labels.equals(map(map(map(d.get("spec")).get("podSelector")).get("matchLabels")))).toList();
        assertEquals(1, found.size(), "one NetworkPolicy for pods " + labels);
        assertEquals(List.of("Ingress"), strings(map(found.get(0).get("spec")).get("policyTypes")));
        return found.get(0);
    }

    private static CommandSpec parse(final List<String> args, final String where) {
        try {
            final List<CommandLine> parsed = Cpns.commandLine().parseArgs(args.toArray(String[]::new)).asCommandLineList();
            assertFalse(parsed.size() < 2, where + ": no command in " + args);
            return parsed.get(parsed.size() - 1).getCommandSpec();
        } catch (CommandLine.ParameterException e) {
            throw new AssertionError(where + ": `cpns " + String.join(" ", args) + "` is refused: " + e.getMessage(), e);
        }
    }

    private static Set<String> environmentVariablesRead(final CommandSpec command) {
        final Set<String> names = new HashSet<>();
        final java.util.regex.Pattern env = java.util.regex.Pattern.compile("\\$\\{env:([A-Z0-9_]+)");
        // the same command without variable interpolation, so that the defaults still name their variables
        final CommandLine raw = Cpns.commandLine().setInterpolateVariables(false);
        CommandLine sub = raw;
        for (final String name : command.qualifiedName(" ").split(" ")) {
            if (!name.equals(raw.getCommandName())) {
                sub = sub.getSubcommands().get(name);
            }
        }
        for (final OptionSpec o : sub.getCommandSpec().options()) {
            if (o.defaultValue() != null) {
                final java.util.regex.Matcher m = env.matcher(o.defaultValue());
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        }
        if ("server".equals(command.name())) {
            names.add("CPNS_PG_PASSWORD"); // read by the store option when there is no password file
        }
        return names;
    }

    private static String value(final List<String> args, final String option) {
        final int i = args.indexOf(option);
        assertTrue(i >= 0 && i + 1 < args.size(), option + " given");
        return args.get(i + 1);
    }

    private static Set<String> kustomizeSecrets() throws IOException {
        final Map<String, Object> k = load(DEPLOY.resolve("k8s/kustomization.yaml")).get(0);
        return list(k.get("secretGenerator")).stream().map(s -> (String) s.get("name")).collect(Collectors.toSet());
    }

    private static List<Map<String, Object>> kubernetesDocuments() throws IOException {
        final Map<String, Object> k = load(DEPLOY.resolve("k8s/kustomization.yaml")).get(0);
        final List<Map<String, Object>> docs = new ArrayList<>();
        for (final String resource : strings(k.get("resources"))) {
            docs.addAll(load(DEPLOY.resolve("k8s").resolve(resource)));
        }
        return docs;
    }

    private static List<Map<String, Object>> load(final Path file) throws IOException {
        final List<Map<String, Object>> docs = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (final Object doc : new Yaml(new LoaderOptions()).loadAll(r)) {
                if (doc != null) {
                    docs.add(map(doc));
                }
            }
        }
        assertFalse(docs.isEmpty(), file + " holds YAML documents");
        return docs;
    }

    private static String name(final Map<String, Object> doc) {
        return (String) map(doc.get("metadata")).get("name");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(final Object o) {
        return o == null ? Map.of() : (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(final Object o) {
        return o == null ? List.of() : (List<Map<String, Object>>) o;
    }

    private static List<String> strings(final Object o) {
        return o == null ? List.of() : ((List<?>) o).stream().map(String::valueOf).toList();
    }

    private static Path locateDeploy() {
        final Path here = Path.of("").toAbsolutePath();
        return Files.isDirectory(here.resolve("k8s")) ? here : here.resolve("deploy");
    }
}
