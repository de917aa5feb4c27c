import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The test naming rule, checked: a test class that starts a broker, a process, a container, a browser or
 * PostgreSQL is an integration test, named {@code *IT} (an attacker's {@code *AttackIT}) and run by maven-failsafe
 * in {@code mvn verify}; every other test class is a unit test, named {@code *Test} (an attacker's
 * {@code *AttackTest}) and run by surefire in {@code mvn test}, the quick loop.
 *
 * <p>Run from the repository root: {@code java .ci/TestNaming.java} checks and exits 1 on a misnamed class;
 * {@code java .ci/TestNaming.java --list} prints every test class with its class and the evidence.
 *
 * <p>How: every class under {@code <module>/src/test/java} that declares a test method is classified by the markers
 * below, searched (comments removed) in its own source and in every test-source class it names, transitively
 * (helpers, fixtures, superclasses, also those of a module whose test jar it uses). A marker names a thing that is
 * started: the product's entry points that start brokers or servers, the embedded and foreign brokers, processes,
 * Testcontainers, Selenium, the PostgreSQL test server. {@link #DECIDED} holds the few classes decided by hand, with
 * the reason; a decision that no longer changes anything is reported so that it gets removed.
 */
public final class TestNaming {

    /** What a test starts, and the marker that says so. */
    private record Marker(String kind, Pattern pattern) {
        static Marker of(final String kind, final String regex) {
            return new Marker(kind, Pattern.compile(regex));
        }
    }

    /*
     * Not markers: what runs inside the test's own JVM and Vert.x in milliseconds (an HTTP or TLS server socket, the
     * approval page's verticle, vertx-mqtt's MqttServer as MqttConnectionTest's FakeBroker, which routes nothing,
     * SQLite files, the picocli commands that start nothing): a unit test may listen on a loopback port.
     */
    private static final List<Marker> MARKERS = List.of(
            // brokers: the embedded HiveMQ CE and the product entry points that start one (server, gateway, demo,
            // broker command, load generator's echo brokers), and Debian's mosquitto
            Marker.of("broker", "\\bEmbeddedBroker\\b"),
            Marker.of("broker", "\\bEmbeddedHiveMQ\\b"),
            Marker.of("broker", "\\bLocalSystem\\b"),
            Marker.of("broker", "\\bServerApplication\\b"),
            Marker.of("broker", "\\bGatewayApplication\\b"),
            Marker.of("broker", "\\b(DemoCommand|BrokerCommand|BenchCommand|EchoBrokers|CloudLegBench)\\b"),
            Marker.of("broker", "\"mosquitto\""),
            // a Vert.x / Hazelcast cluster
            Marker.of("cluster", "\\bServerCluster\\.(start|join)\\b"),
            Marker.of("cluster", "\\bHazelcastClusterManager\\b"),
            // processes
            Marker.of("process", "\\bProcessBuilder\\b"),
            Marker.of("process", "\\bServerProcess\\b"),
            Marker.of("process", "Runtime\\.getRuntime\\(\\)\\.exec"),
            Marker.of("process", "bin/cpns\\b"),
            // containers, browsers, PostgreSQL
            Marker.of("container", "\\borg\\.testcontainers\\b"),
            Marker.of("browser", "\\borg\\.openqa\\.selenium\\b"),
            Marker.of("postgres", "\\bTestPostgres\\b"),
            Marker.of("postgres", "\\bPgEuKeyRepository\\b"),
            Marker.of("postgres", "jdbc:postgresql:"));

    /**
     * Classes decided by hand: simple class name to {@code true} (integration) or {@code false} (unit), with why.
     * Keep this short; prefer a marker.
     */
    private static final Map<String, Boolean> DECIDED = Map.of();

    private static final Pattern TEST_METHOD = Pattern.compile(
            "@(Test|ParameterizedTest|RepeatedTest|TestFactory|TestTemplate|Property|Example)\\b");
    private static final Pattern ABSTRACT = Pattern.compile("\\babstract\\s+class\\b");
    private static final Pattern EXTENDS = Pattern.compile("\\bclass\\s+\\w+(?:<[^{]*?>)?\\s+extends\\s+(\\w+)");
    private static final Pattern IDENTIFIER = Pattern.compile("\\b[A-Z][A-Za-z0-9_]*\\b");
    private static final Pattern ARTIFACT = Pattern.compile("<artifactId>([^<]+)</artifactId>");
    private static final Pattern DEPENDENCY = Pattern.compile("<dependency>(.*?)</dependency>", Pattern.DOTALL);

    /** One test-source class. */
    private record Source(String module, String name, Path file, String code) {
    }

    /** What a test class starts: per marker kind, the class (and file) where it was seen. */
    private record Finding(Source test, Map<String, String> evidence, Boolean decided) {
        boolean integration() {
            return decided != null ? decided : !evidence.isEmpty();
        }

        boolean namedIntegration() {
            return test.name.endsWith("IT");
        }

        boolean namedUnit() {
            return test.name.endsWith("Test");
        }

        boolean wellNamed() {
            return integration() ? namedIntegration() : namedUnit();
        }

        String expectedName() {
            final String base = test.name.replaceAll("(IT|Test)$", "");
            return base + (integration() ? "IT" : "Test");
        }
    }

    public static void main(final String[] args) throws IOException {
        final boolean list = List.of(args).contains("--list");
        final Path root = Path.of("").toAbsolutePath();
        if (!Files.isRegularFile(root.resolve("pom.xml")) || !Files.isDirectory(root.resolve(".ci"))) {
            System.err.println("run from the repository root: java .ci/TestNaming.java [--list]");
            System.exit(2);
        }
        final Map<String, Path> modules = modules(root);
        final Map<String, Map<String, Source>> sourcesByModule = new TreeMap<>();
        for (final Map.Entry<String, Path> m : modules.entrySet()) {
            sourcesByModule.put(m.getKey(), sources(m.getKey(), m.getValue()));
        }
        final List<Finding> findings = new ArrayList<>();
        for (final Map.Entry<String, Path> m : modules.entrySet()) {
            final Map<String, Source> visible = new LinkedHashMap<>();
            for (final String dep : testJarDependencies(m.getValue(), modules)) {
                visible.putAll(sourcesByModule.get(dep));
            }
            visible.putAll(sourcesByModule.get(m.getKey()));
            for (final Source s : sourcesByModule.get(m.getKey()).values()) {
                if (hasTests(s, visible) && !ABSTRACT.matcher(s.code).find()) {
                    findings.add(new Finding(s, evidence(s, visible), DECIDED.get(s.name)));
                }
            }
        }
        int wrong = 0;
        for (final Finding f : findings) {
            final String rel = root.relativize(f.test.file).toString();
            if (list) {
                System.out.printf("%-4s %-45s %s%s%n", f.integration() ? "IT" : "unit", f.test.name,
                        f.evidence.isEmpty() ? "-" : f.evidence,
                        f.decided == null ? "" : " (decided by hand: " + (f.decided ? "IT" : "unit") + ")");
            }
            if (!f.wellNamed()) {
                wrong++;
                System.out.println("MISNAMED " + rel + ": "
                        + (f.integration() ? "starts " + f.evidence.keySet() + " " + f.evidence.values()
                                : "starts nothing (no broker, process, container, browser or PostgreSQL)")
                        + ", so it must be named " + f.expectedName()
                        + (f.integration() ? " (run by failsafe in mvn verify)" : " (a unit test, run by mvn test)"));
            }
        }
        for (final Map.Entry<String, Boolean> d : DECIDED.entrySet()) {
            final boolean stale = findings.stream().filter(f -> f.test.name.equals(d.getKey()))
                    .allMatch(f -> f.evidence.isEmpty() != d.getValue());
            if (stale) {
                wrong++;
                System.out.println("STALE hand decision for " + d.getKey()
                        + " in .ci/TestNaming.java (the class is gone or the markers already say it): remove it");
            }
        }
        final long its = findings.stream().filter(Finding::integration).count();
        System.out.printf("test naming: %d test classes, %d unit (*Test), %d integration (*IT), %d misnamed%n",
                findings.size(), findings.size() - its, its, wrong);
        System.exit(wrong == 0 ? 0 : 1);
    }

    /** Module directory name to directory, for every module of the root pom (one level, as this build has). */
    private static Map<String, Path> modules(final Path root) throws IOException {
        final Map<String, Path> modules = new TreeMap<>();
        final Matcher m = Pattern.compile("<module>([^<]+)</module>").matcher(Files.readString(root.resolve("pom.xml")));
        while (m.find()) {
            modules.put(m.group(1), root.resolve(m.group(1)));
        }
        return modules;
    }

    /** The modules whose test jar this module's pom depends on. */
    private static List<String> testJarDependencies(final Path module, final Map<String, Path> modules)
            throws IOException {
        final Map<String, String> byArtifact = new LinkedHashMap<>();
        for (final Map.Entry<String, Path> m : modules.entrySet()) {
            final String pom = Files.readString(m.getValue().resolve("pom.xml"));
            final String withoutParent = pom.replaceFirst("(?s)<parent>.*?</parent>", "");
            final Matcher a = ARTIFACT.matcher(withoutParent);
            if (a.find()) {
                byArtifact.put(a.group(1), m.getKey());
            }
        }
        final List<String> deps = new ArrayList<>();
        final Matcher d = DEPENDENCY.matcher(Files.readString(module.resolve("pom.xml")));
        while (d.find()) {
            final Matcher a = ARTIFACT.matcher(d.group(1));
            if (d.group(1).contains("<type>test-jar</type>") && a.find() && byArtifact.containsKey(a.group(1))) {
                deps.add(byArtifact.get(a.group(1)));
            }
        }
        return deps;
    }

    /** Whether the class declares a test method, or inherits one from a test-source superclass. */
    private static boolean hasTests(final Source s, final Map<String, Source> visible) {
        Source c = s;
        for (int depth = 0; c != null && depth < 10; depth++) {
            if (TEST_METHOD.matcher(c.code).find()) {
                return true;
            }
            final Matcher parent = EXTENDS.matcher(c.code);
            c = parent.find() ? visible.get(parent.group(1)) : null;
        }
        return false;
    }

    private static Map<String, Source> sources(final String module, final Path dir) throws IOException {
        final Map<String, Source> sources = new TreeMap<>();
        final Path testJava = dir.resolve("src/test/java");
        if (!Files.isDirectory(testJava)) {
            return sources;
        }
        try (Stream<Path> files = Files.walk(testJava)) {
            files.filter(p -> p.toString().endsWith(".java")).sorted().forEach(p -> {
                final String name = p.getFileName().toString().replaceFirst("\\.java$", "");
                try {
                    sources.put(name, new Source(module, name, p, withoutComments(Files.readString(p))));
                } catch (final IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        return sources;
    }

    /** Marker kind to "Class: marker" for the first place each kind is seen, walking the named test sources. */
    private static Map<String, String> evidence(final Source test, final Map<String, Source> visible) {
        final Map<String, String> evidence = new TreeMap<>();
        final Set<String> seen = new LinkedHashSet<>();
        final List<Source> queue = new ArrayList<>(List.of(test));
        seen.add(test.name);
        while (!queue.isEmpty()) {
            final Source s = queue.remove(0);
            for (final Marker marker : MARKERS) {
                final Matcher m = marker.pattern.matcher(s.code);
                if (m.find()) {
                    evidence.putIfAbsent(marker.kind, (s == test ? "" : s.name + ": ") + m.group());
                }
            }
            final Matcher id = IDENTIFIER.matcher(s.code);
            while (id.find()) {
                final Source named = visible.get(id.group());
                if (named != null && seen.add(named.name)) {
                    queue.add(named);
                }
            }
        }
        return evidence;
    }

    /** The source without comments; string and character literals kept (a marker may be a literal). */
    static String withoutComments(final String java) {
        final StringBuilder out = new StringBuilder(java.length());
        int i = 0;
        final int n = java.length();
        while (i < n) {
            final char c = java.charAt(i);
            if (c == '/' && i + 1 < n && java.charAt(i + 1) == '/') {
                while (i < n && java.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '/' && i + 1 < n && java.charAt(i + 1) == '*') {
                final int end = java.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
                out.append(' ');
            } else if (java.startsWith("\"\"\"", i)) {
                final int end = java.indexOf("\"\"\"", i + 3);
                final int stop = end < 0 ? n : end + 3;
                out.append(java, i, stop);
                i = stop;
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < n && java.charAt(j) != c && java.charAt(j) != '\n') {
                    j += java.charAt(j) == '\\' ? 2 : 1;
                }
                final int stop = Math.min(n, j + 1);
                out.append(java, i, stop);
                i = stop;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }
}
