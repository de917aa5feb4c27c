package org.cpnskeys.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cpnskeys.protocol.Topics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The configuration records, secrets and policies on their own, without a broker. */
@Timeout(30)
class AccessRulesTest {
    private static final byte[] SECRET = "s3cret-0123456789".getBytes(StandardCharsets.UTF_8);
    private static final TestPki PKI = TestPki.create("Unit CA");

    @Test
    void hashedSecrets_rightWrongUnknownOrMissing_onlyRightVerifies() {
        final HashedSecrets secrets = HashedSecrets.of(Map.of("gw1", HashedSecrets.sha256(SECRET)));

        assertTrue(secrets.verify("gw1", SECRET.clone()));
        assertFalse(secrets.verify("gw1", "wrong".getBytes(StandardCharsets.UTF_8)));
        assertFalse(secrets.verify("gw2", SECRET.clone()));
        assertFalse(secrets.verify(null, SECRET.clone()));
        assertFalse(secrets.verify("gw1", null));
        assertFalse(secrets.toString().contains("gw1"));
    }

    @Test
    void hashedSecrets_hashNot32Bytes_rejected() {
        assertThrows(IllegalArgumentException.class, () -> HashedSecrets.of(Map.of("gw1", SECRET)));
    }

    @Test
    void hashedSecrets_callerChangesArray_secretsUnchanged() {
        final byte[] hash = HashedSecrets.sha256(SECRET);
        final HashedSecrets secrets = HashedSecrets.of(Map.of("gw1", hash));
        hash[0] ^= 1;

        assertTrue(secrets.verify("gw1", SECRET.clone()));
    }

    @Test
    void topicRule_sharedFlagAndPrefixDisagree_rejected() {
        assertThrows(IllegalArgumentException.class,
                () -> new TopicRule(Topics.cloudAnyInstance(Topics.KEY_REQUEST), TopicRule.Activity.SUBSCRIBE, true));
        assertThrows(IllegalArgumentException.class,
                () -> new TopicRule(Topics.cloudKeyRequestSharedFilter(), TopicRule.Activity.SUBSCRIBE, false));
        assertThrows(IllegalArgumentException.class,
                () -> new TopicRule(Topics.cloudKeyRequestSharedFilter(), TopicRule.Activity.PUBLISH, true));
        assertThrows(IllegalArgumentException.class, () -> TopicRule.subscribeShared("$share//a"));
        assertThrows(IllegalArgumentException.class, () -> TopicRule.subscribe("$SYS/#"));
    }

    @Test
    void topicRule_sharedFilter_splitsGroupAndFilter() {
        final TopicRule rule = TopicRule.subscribeShared(Topics.cloudKeyRequestSharedFilter());

        assertEquals(Topics.SERVER_SHARE_GROUP, rule.sharedGroup());
        assertEquals("cpns/cloud/+/+/key-request", rule.plainFilter());
    }

    @Test
    void brokerConfig_invalidValues_rejected() {
        final Path data = Path.of("target", "unused");
        final Optional<TcpListenerConfig> tcp = Optional.of(TcpListenerConfig.loopback(0));
        assertThrows(IllegalArgumentException.class, () -> BrokerConfig.of(data, Optional.empty(), Optional.empty()));
        assertThrows(IllegalArgumentException.class, () -> new BrokerConfig(data, tcp, Optional.empty(), 0, 1024));
        assertThrows(IllegalArgumentException.class,
                () -> new BrokerConfig(data, tcp, Optional.empty(), 65_536, 1024));
        assertThrows(IllegalArgumentException.class, () -> new BrokerConfig(data, tcp, Optional.empty(), 10, 0));
        assertThrows(IllegalArgumentException.class, () -> new TcpListenerConfig("127.0.0.1", 65_536));
        assertThrows(IllegalArgumentException.class, () -> new TcpListenerConfig("bad<host>", 1883));
        assertThrows(IllegalArgumentException.class, () -> new TlsListenerConfig("127.0.0.1", 0,
                data.resolve("k.p12"), "pw", "pw", null, null, true));
    }

    @Test
    void brokerConfig_sameFixedPortTwice_rejected() {
        final TlsListenerConfig tls = new TlsListenerConfig("127.0.0.1", 8883, Path.of("k.p12"), "pw", "pw",
                null, null, false);
        assertThrows(IllegalArgumentException.class, () -> BrokerConfig.of(Path.of("x"),
                Optional.of(TcpListenerConfig.loopback(8883)), Optional.of(tls)));
    }

    @Test
    void toString_configAndAttempt_neverShowsPasswords() {
        final TlsListenerConfig tls = new TlsListenerConfig("127.0.0.1", 0, Path.of("k.p12"), "key-pw-XYZ",
                "priv-pw-XYZ", Path.of("t.p12"), "trust-pw-XYZ", true);
        final String config = BrokerConfig.of(Path.of("x"), Optional.empty(), Optional.of(tls)).toString();
        final String attempt = new ConnectAttempt("c", Optional.of("u"), Optional.of(SECRET.clone()),
                Optional.empty(), false).toString();

        assertFalse(config.contains("XYZ"), config);
        assertFalse(attempt.contains("s3cret"), attempt);
        assertFalse(attempt.contains("[B@"), attempt);
    }

    @Test
    void configXml_specialCharactersInPassword_escaped() {
        final TlsListenerConfig tls = new TlsListenerConfig("127.0.0.1", 0, Path.of("k.p12"), "a<b&c\"d",
                "pw", null, null, false);
        final String xml = HiveMqConfigXml.render(BrokerConfig.of(Path.of("x"), Optional.empty(), Optional.of(tls)));

        assertTrue(xml.contains("<password>a&lt;b&amp;c&quot;d</password>"), xml);
        assertTrue(xml.contains("<client-authentication-mode>NONE</client-authentication-mode>"));
        assertTrue(xml.contains("<protocol>TLSv1.3</protocol>"));
        assertFalse(xml.contains("TLSv1.1"));
        assertTrue(xml.contains("<enabled>false</enabled>"));
    }

    @Test
    void panPolicy_certificateOverPlainTcpOrNone_refused() {
        final PanAccessPolicy policy = new PanAccessPolicy("gateway",
                HashedSecrets.of(Map.of("gateway", HashedSecrets.sha256(SECRET))));
        final var certA = PKI.client("a").certificate();

        assertTrue(policy.authenticate(new ConnectAttempt("a", Optional.empty(), Optional.empty(),
                Optional.of(certA), true)).isPresent());
        assertTrue(policy.authenticate(new ConnectAttempt("a", Optional.empty(), Optional.empty(),
                Optional.of(certA), false)).isEmpty());
        assertTrue(policy.authenticate(new ConnectAttempt("a", Optional.empty(), Optional.empty(),
                Optional.empty(), true)).isEmpty());
        assertTrue(policy.authenticate(new ConnectAttempt("x", Optional.of("gateway"), Optional.empty(),
                Optional.empty(), false)).isEmpty());
    }

    @Test
    void panPolicy_pneRules_onlyOwnTopics() {
        final PanAccessPolicy policy = new PanAccessPolicy("gateway", (name, password) -> false);

        assertEquals(List.of(TopicRule.publish("cpns/pan/a/key-request"), TopicRule.subscribe("cpns/pan/a/challenge"),
                TopicRule.subscribe("cpns/pan/a/key-delivery"), TopicRule.subscribe("cpns/pan/a/status")),
                policy.rules(new ClientPrincipal("a", ClientPrincipal.Role.PNE)));
        assertEquals(List.of(), policy.rules(new ClientPrincipal("s", ClientPrincipal.Role.SERVER)));
    }

    @Test
    void cloudPolicy_serverRules_sharedKeyRequestsAndReplies() {
        final CloudAccessPolicy policy = new CloudAccessPolicy((name, password) -> true, (name, password) -> true);

        assertEquals(List.of(
                        TopicRule.subscribeShared("$share/cpns-server/cpns/cloud/+/+/key-request"),
                        TopicRule.publish("cpns/cloud/+/+/challenge"),
                        TopicRule.publish("cpns/cloud/+/+/key-delivery"),
                        TopicRule.publish("cpns/cloud/+/+/status")),
                policy.rules(new ClientPrincipal("server", ClientPrincipal.Role.SERVER)));
        assertEquals(List.of(), policy.rules(new ClientPrincipal("a", ClientPrincipal.Role.PNE)));
    }

    @Test
    void cloudPolicy_gatewayNameNotAnId_refusedEvenIfSecretsAgree() {
        final CloudAccessPolicy policy = new CloudAccessPolicy((name, password) -> false, (name, password) -> true);

        assertTrue(policy.authenticate(new ConnectAttempt("gw/1", Optional.of("gw/1"), Optional.of(SECRET.clone()),
                Optional.empty(), false)).isEmpty());
        assertTrue(policy.authenticate(new ConnectAttempt("gw1", Optional.of("gw1"), Optional.of(SECRET.clone()),
                Optional.empty(), false)).isPresent());
    }

    @Test
    void cloudPolicy_gatewayInstanceClientIds_onlyOwnNameAndNumber() {
        final CloudAccessPolicy policy = new CloudAccessPolicy((name, password) -> false, (name, password) -> true);
        final org.cpnskeys.protocol.GatewayId gw = org.cpnskeys.protocol.GatewayId.of("gw1");

        assertEquals("gw1", CloudAccessPolicy.gatewayClientId(gw, 0));
        assertEquals("gw1#3", CloudAccessPolicy.gatewayClientId(gw, 3));
        for (final int n : List.of(1, 3, 999)) {
            final String ok = "gw1#" + n;
            assertEquals(Optional.of(new ClientPrincipal("gw1", ClientPrincipal.Role.GATEWAY, n)),
                    policy.authenticate(new ConnectAttempt(ok, Optional.of("gw1"), Optional.of(SECRET.clone()),
                            Optional.empty(), false)), ok);
        }
        assertEquals(Optional.of(new ClientPrincipal("gw1", ClientPrincipal.Role.GATEWAY, 0)),
                policy.authenticate(new ConnectAttempt("gw1", Optional.of("gw1"), Optional.of(SECRET.clone()),
                        Optional.empty(), false)));
        // another gateway's id, no number, a leading zero, too long a number, a second separator: refused
        for (final String bad : List.of("gw2#1", "gw1#", "gw1#0", "gw1#01", "gw1#1000", "gw1#1#2", "gw1-1", "gw1#x")) {
            assertTrue(policy.authenticate(new ConnectAttempt(bad, Optional.of("gw1"), Optional.of(SECRET.clone()),
                    Optional.empty(), false)).isEmpty(), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> CloudAccessPolicy.gatewayClientId(gw, 1000));
    }

    @Test
    void cloudPolicy_gatewayInstanceRules_onlyThatInstancesTopics() {
        final CloudAccessPolicy policy = new CloudAccessPolicy((name, password) -> false, (name, password) -> true);

        assertEquals(List.of(TopicRule.publish("cpns/cloud/gw1/0/key-request"),
                        TopicRule.subscribe("cpns/cloud/gw1/0/+")),
                policy.rules(new ClientPrincipal("gw1", ClientPrincipal.Role.GATEWAY)));
        assertEquals(List.of(TopicRule.publish("cpns/cloud/gw1/7/key-request"),
                        TopicRule.subscribe("cpns/cloud/gw1/7/+")),
                policy.rules(new ClientPrincipal("gw1", ClientPrincipal.Role.GATEWAY, 7)));
    }

    @Test
    void panPolicy_gatewayRules_includeTheInstancesSharedFilter() {
        final PanAccessPolicy policy = new PanAccessPolicy("cpns-gateway", (name, password) -> true);
        assertTrue(policy.rules(new ClientPrincipal("cpns-gateway", ClientPrincipal.Role.GATEWAY))
                .contains(TopicRule.subscribeShared("$share/cpns-gateway/cpns/pan/+/key-request")));
    }
}
