package org.cpnskeys.deploy.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.cpnskeys.deploy.brokers.CloudAclMatrix.Case;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shipped ACLs of the clustered cloud brokers (deploy/brokers/emqx/acl.conf, deploy/brokers/vernemq/vmq.acl),
 * evaluated with each broker's documented rule semantics against the cases of the embedded broker's policy
 * ({@link CloudAclMatrix}). EMQX ({@link EmqxAclFile}): https://docs.emqx.com/en/emqx/latest/access-control/authz/file.html
 * (file format, first match, {@code no_match}), https://docs.emqx.com/en/emqx/latest/access-control/authz/authz.html
 * (topic placeholders), https://docs.emqx.com/en/emqx/latest/client-attributes/client-attributes.html
 * ({@code client_attrs_init}), emqx/emqx-docs pull request 3884 ({@code $share/group/} stripped before
 * authorization). VerneMQ ({@link VernemqAclFile}): https://docs.vernemq.com/configuring-vernemq/file-auth and
 * https://github.com/vernemq/vernemq/blob/main/apps/vmq_acl/src/vmq_acl.erl (user, pattern, %u/%c per level).
 * Matching of topics and filters: MQTT 3.1.1 section 4.7. Every case gets the policy's answer, except the
 * differences listed here, which are the ones README.md of each broker states (each one a thing the broker's ACL
 * language cannot express; none gives a client another gateway's topics). No broker runs: EMQX and VerneMQ cannot
 * be installed here.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ExternalBrokerAclTest {
    static final Path BROKERS = locate();

    /** EMQX authorizes $share/{group}/{filter} as {filter}: the group cannot be required by acl.conf. */
    private static final Map<String, String> EMQX_DIFFERENCES = Map.of(
            "server SUBSCRIBE cpns/cloud/+/+/key-request", "the share group is stripped before authorization",
            "server SUBSCRIBE $share/other-group/cpns/cloud/+/+/key-request", "the share group is stripped",
            "gw1 instance 0 SUBSCRIBE $share/cpns-server/cpns/cloud/gw1/0/+", "own replies through a share group");

    /** vmq_acl keys rules by user name only, and substitutes %u/%c only as whole topic levels. */
    private static final Map<String, String> VERNEMQ_DIFFERENCES = Map.ofEntries(
            Map.entry("server SUBSCRIBE cpns/cloud/+/+/key-request", "the plain filter is listed as well"),
            Map.entry("server-without-prefix SUBSCRIBE $share/cpns-server/cpns/cloud/+/+/key-request",
                    "rules follow the user name; the client id is not checked"),
            Map.entry("server-without-prefix PUBLISH cpns/cloud/gw1/0/key-delivery", "same"),
            Map.entry("gw1 instance 3 PUBLISH cpns/cloud/gw1/3/key-request", "one instance (0) per gateway"),
            Map.entry("gw1 instance 3 PUBLISH cpns/cloud/gw1/0/key-request", "one instance (0) per gateway"),
            Map.entry("gw1 instance 3 SUBSCRIBE cpns/cloud/gw1/3/key-delivery", "one instance (0) per gateway"),
            Map.entry("gw1 instance 3 SUBSCRIBE cpns/cloud/gw1/3/+", "one instance (0) per gateway"),
            Map.entry("gw1 instance 3 SUBSCRIBE cpns/cloud/gw1/0/key-delivery", "one instance (0) per gateway"),
            Map.entry("gateway named cpns-server-9 PUBLISH cpns/cloud/cpns-server-9/0/key-request",
                    "no CONNECT check: never register such a user"),
            Map.entry("gateway named cpns-server-9 SUBSCRIBE cpns/cloud/cpns-server-9/0/+", "same"));

    @Test
    void emqxAcl_everyPolicyCase_sameAnswerExceptTheStatedShareGroupDifferences() throws IOException {
        final EmqxAclFile acl = EmqxAclFile.parse(read("emqx/acl.conf"), read("emqx/emqx.conf"));

        assertSameAnswers("EMQX", c -> acl.allows(c.client(), c.action(), c.topic()), EMQX_DIFFERENCES);
    }

    @Test
    void vernemqAcl_everyPolicyCase_sameAnswerExceptTheStatedUserNameOnlyDifferences() throws IOException {
        final VernemqAclFile acl = VernemqAclFile.parse(read("vernemq/vmq.acl"));

        assertSameAnswers("VerneMQ", c -> acl.allows(c.client(), c.action(), c.topic()), VERNEMQ_DIFFERENCES);
    }

    @Test
    void statedDifferences_neverGiveAGatewayAnotherGatewaysTopics() {
        for (final Map<String, String> differences : List.of(EMQX_DIFFERENCES, VERNEMQ_DIFFERENCES)) {
            for (final String key : differences.keySet()) {
                final Case c = CloudAclMatrix.CASES.stream().filter(x -> x.key().equals(key)).findFirst().orElseThrow(
                        () -> new AssertionError("a stated difference that is no case: " + key));
                final String gateway = c.client().username();
                final boolean serverAccount = gateway.equals("cpns-server");
                assertTrue(serverAccount || c.topic().contains("/" + gateway + "/"), key);
            }
        }
    }

    @Test
    void emqxAcl_rulesOutOfOrder_wouldBeCaught() throws IOException {
        // the evaluator is first-match: moving the final deny to the top must turn every allowed case into a failure
        final String acl = read("emqx/acl.conf");
        final EmqxAclFile denyFirst = EmqxAclFile.parse("{deny, all}.\n" + acl, read("emqx/emqx.conf"));

        assertTrue(CloudAclMatrix.CASES.stream().filter(Case::allowed)
                .noneMatch(c -> denyFirst.allows(c.client(), c.action(), c.topic())));
        assertEquals(8, EmqxAclFile.parse(acl, read("emqx/emqx.conf")).ruleCount());
    }

    @Test
    void vernemqAcl_noEmptyOrIndentedLines_asItsParserNeeds() throws IOException {
        for (final String line : read("vernemq/vmq.acl").split("\n")) {
            assertFalse(line.isBlank(), "vmq_acl does not accept empty lines between entries");
            assertFalse(line.startsWith(" ") || line.contains("  "), "extra spaces become part of a topic: " + line);
        }
    }

    private static void assertSameAnswers(final String broker, final Predicate<Case> allows,
            final Map<String, String> differences) {
        final List<String> wrong = new ArrayList<>();
        for (final Case c : CloudAclMatrix.CASES) {
            final boolean expected = differences.containsKey(c.key()) ? !c.allowed() : c.allowed();
            if (allows.test(c) != expected) {
                wrong.add(c.key() + ": " + broker + (expected ? " denies" : " allows") + ", expected "
                        + (expected ? "allow" : "deny") + (differences.containsKey(c.key()) ? " (stated difference)" : ""));
            }
        }
        assertEquals(List.of(), wrong);
    }

    static String read(final String file) throws IOException {
        return Files.readString(BROKERS.resolve(file), StandardCharsets.UTF_8);
    }

    private static Path locate() {
        final Path here = Path.of("").toAbsolutePath();
        return Files.isDirectory(here.resolve("brokers")) ? here.resolve("brokers") : here.resolve("deploy/brokers");
    }
}
