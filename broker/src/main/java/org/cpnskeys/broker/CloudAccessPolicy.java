package org.cpnskeys.broker;

import java.util.List;
import java.util.Optional;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.Topics;

/**
 * The access policy of the cloud broker.
 *
 * <ul>
 *   <li>A server: a user name known to {@code servers} with the right password, and a client id starting with
 *       {@value #SERVER_CLIENT_ID_PREFIX} → {@link ClientPrincipal.Role#SERVER}: subscribes only the shared filter
 *       {@code $share/cpns-server/cpns/cloud/+/+/key-request} ({@link Topics#cloudKeyRequestSharedFilter()}),
 *       publishes {@code cpns/cloud/+/+/challenge}, {@code .../key-delivery} and {@code .../status}.</li>
 *   <li>A gateway: a user name that is a valid Gateway ID known to {@code gateways} with the right password, and a
 *       client id equal to the user name, or to the user name, {@value #GATEWAY_INSTANCE_SEPARATOR} and an instance
 *       number 1-999 when the gateway runs several instances ({@link #gatewayClientId}; the separator is no Gateway
 *       ID character, so no gateway can take over another's session) → {@link ClientPrincipal.Role#GATEWAY} with
 *       that instance number (0 for the client id without a number): instance {@code n} publishes only
 *       {@code cpns/cloud/{gw}/{n}/key-request} and subscribes only {@code cpns/cloud/{gw}/{n}/+}, so that no
 *       instance reads another's replies or sends on another's topic. A Gateway ID starting with
 *       {@value #SERVER_CLIENT_ID_PREFIX} is refused, so that no gateway can take over a server's session.</li>
 *   <li>A gateway by client certificate (mutual TLS): on a TLS listener that accepts only certificates of the
 *       cloud CA, a certificate whose CN is a Gateway ID known to {@code gateways} stands for that gateway's
 *       token; a user name, when sent, must equal the CN, and a password, when sent, must be the gateway's token
 *       (certificate and token together). Same client ids and rules as with the token.</li>
 *   <li>Everything else is refused at CONNECT.</li>
 * </ul>
 */
public final class CloudAccessPolicy implements BrokerAccessPolicy {
    /** Every server instance's MQTT client id starts with this. */
    public static final String SERVER_CLIENT_ID_PREFIX = "cpns-server-";
    /** Between a Gateway ID and its instance number in the client id of a gateway's further instances. */
    public static final String GATEWAY_INSTANCE_SEPARATOR = "#";
    private static final java.util.regex.Pattern INSTANCE = java.util.regex.Pattern.compile("[1-9][0-9]{0,2}");

    private final ClientSecrets servers;
    private final ClientSecrets gateways;

    public CloudAccessPolicy(final ClientSecrets servers, final ClientSecrets gateways) {
        if (servers == null || gateways == null) {
            throw new IllegalArgumentException("server and gateway secrets are required");
        }
        this.servers = servers;
        this.gateways = gateways;
    }

    @Override
    public Optional<ClientPrincipal> authenticate(final ConnectAttempt attempt) {
        final Optional<String> certified = attempt.tls()
                ? attempt.clientCertificate().flatMap(CommonNames::of) : Optional.empty();
        if (certified.isPresent() && !attempt.clientId().startsWith(SERVER_CLIENT_ID_PREFIX)) {
            return byCertificate(certified.get(), attempt);
        }
        if (attempt.username().isEmpty() || attempt.password().isEmpty()) {
            return Optional.empty();
        }
        final String user = attempt.username().get();
        final byte[] password = attempt.password().get();
        if (attempt.clientId().startsWith(SERVER_CLIENT_ID_PREFIX)
                && attempt.clientId().length() > SERVER_CLIENT_ID_PREFIX.length()) {
            return servers.verify(user, password)
                    ? Optional.of(new ClientPrincipal(user, ClientPrincipal.Role.SERVER))
                    : Optional.empty();
        }
        final GatewayId gateway;
        try {
            gateway = GatewayId.of(user);
        } catch (IllegalArgumentException notAGatewayId) {
            return Optional.empty();
        }
        // verify first so that every refusal of a gateway-looking user name costs the same
        final boolean verified = gateways.verify(user, password);
        if (verified && !user.startsWith(SERVER_CLIENT_ID_PREFIX)) {
            return gatewayInstance(gateway, attempt.clientId());
        }
        return Optional.empty();
    }

    private Optional<ClientPrincipal> byCertificate(final String commonName, final ConnectAttempt attempt) {
        final GatewayId gateway;
        try {
            gateway = GatewayId.of(commonName);
        } catch (IllegalArgumentException notAGatewayId) {
            return Optional.empty();
        }
        if (attempt.username().isPresent() && !attempt.username().get().equals(commonName)) {
            return Optional.empty();
        }
        if (attempt.password().isPresent() && !gateways.verify(commonName, attempt.password().get())) {
            return Optional.empty();
        }
        if (gateways.knows(commonName) && !commonName.startsWith(SERVER_CLIENT_ID_PREFIX)) {
            return gatewayInstance(gateway, attempt.clientId());
        }
        return Optional.empty();
    }

    /** The cloud client id of instance {@code instance} (0 = the first, whose client id is the Gateway ID itself). */
    public static String gatewayClientId(final GatewayId gateway, final int instance) {
        if (instance < 0 || instance > Topics.MAX_GATEWAY_INSTANCE) {
            throw new IllegalArgumentException("gateway instance must be 0-" + Topics.MAX_GATEWAY_INSTANCE);
        }
        return instance == 0 ? gateway.value() : gateway.value() + GATEWAY_INSTANCE_SEPARATOR + instance;
    }

    /** The gateway instance a client id names ({@link #gatewayClientId}), or empty when it names none of its. */
    private static Optional<ClientPrincipal> gatewayInstance(final GatewayId gateway, final String clientId) {
        if (gateway.value().equals(clientId)) {
            return Optional.of(new ClientPrincipal(gateway.value(), ClientPrincipal.Role.GATEWAY, 0));
        }
        final String prefix = gateway.value() + GATEWAY_INSTANCE_SEPARATOR;
        if (!clientId.startsWith(prefix) || !INSTANCE.matcher(clientId.substring(prefix.length())).matches()) {
            return Optional.empty();
        }
        return Optional.of(new ClientPrincipal(gateway.value(), ClientPrincipal.Role.GATEWAY,
                Integer.parseInt(clientId.substring(prefix.length()))));
    }

    @Override
    public List<TopicRule> rules(final ClientPrincipal principal) {
        switch (principal.role()) {
            case SERVER:
                return List.of(
                        TopicRule.subscribeShared(Topics.cloudKeyRequestSharedFilter()),
                        TopicRule.publish(Topics.cloudAnyInstance(Topics.CHALLENGE)),
                        TopicRule.publish(Topics.cloudAnyInstance(Topics.KEY_DELIVERY)),
                        TopicRule.publish(Topics.cloudAnyInstance(Topics.STATUS)));
            case GATEWAY:
                final GatewayId gateway = GatewayId.of(principal.identity());
                return List.of(
                        TopicRule.publish(Topics.cloud(gateway, principal.instance(), Topics.KEY_REQUEST)),
                        TopicRule.subscribe(Topics.cloudRepliesFilter(gateway, principal.instance())));
            default:
                return List.of();
        }
    }

    @Override
    public String toString() {
        return "CloudAccessPolicy";
    }
}
