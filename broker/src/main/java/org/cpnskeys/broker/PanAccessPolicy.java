package org.cpnskeys.broker;

import java.util.List;
import java.util.Optional;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.Topics;

/**
 * The access policy of a gateway's PAN broker.
 *
 * <ul>
 *   <li>The gateway's own internal client: user name {@code internalUser} with the right password (checked by
 *       {@code internalSecrets}) → {@link ClientPrincipal.Role#GATEWAY}: subscribes {@code cpns/pan/+/key-request},
 *       publishes {@code cpns/pan/+/challenge}, {@code .../key-delivery} and {@code .../status}. A client that sends
 *       this user name with a wrong password is refused, certificate or not.</li>
 *   <li>A PNE: a TLS client certificate (verified by the TLS listener against the PAN CA) whose subject CN is a
 *       valid Entity ID, and an MQTT client id equal to that CN → {@link ClientPrincipal.Role#PNE}: publishes only
 *       {@code cpns/pan/{cn}/key-request}, subscribes only {@code cpns/pan/{cn}/+}. Any other user name it sends
 *       is ignored.</li>
 *   <li>Everything else is refused at CONNECT; in particular a PNE without a client certificate can never publish
 *       a key request (the seed's non-secure PAN case, R4, is closed).</li>
 * </ul>
 */
public final class PanAccessPolicy implements BrokerAccessPolicy {
    private final String internalUser;
    private final ClientSecrets internalSecrets;

    public PanAccessPolicy(final String internalUser, final ClientSecrets internalSecrets) {
        if (internalUser == null || internalUser.isBlank()) {
            throw new IllegalArgumentException("internal gateway user is missing");
        }
        if (internalSecrets == null) {
            throw new IllegalArgumentException("internal gateway secrets are missing");
        }
        this.internalUser = internalUser;
        this.internalSecrets = internalSecrets;
    }

    @Override
    public Optional<ClientPrincipal> authenticate(final ConnectAttempt attempt) {
        if (attempt.username().filter(internalUser::equals).isPresent()) {
            final byte[] password = attempt.password().orElse(null);
            // The gateway's own client id carries its user name, so it can never take over a PNE's session.
            if (password != null && attempt.clientId().startsWith(internalUser)
                    && internalSecrets.verify(internalUser, password)) {
                return Optional.of(new ClientPrincipal(internalUser, ClientPrincipal.Role.GATEWAY));
            }
            return Optional.empty();
        }
        if (!attempt.tls() || attempt.clientCertificate().isEmpty()) {
            return Optional.empty();
        }
        final Optional<String> cn = CommonNames.of(attempt.clientCertificate().get());
        if (cn.isEmpty() || !cn.get().equals(attempt.clientId()) || cn.get().startsWith(internalUser)) {
            return Optional.empty();
        }
        try {
            return Optional.of(new ClientPrincipal(EntityId.of(cn.get()).value(), ClientPrincipal.Role.PNE));
        } catch (IllegalArgumentException notAnEntityId) {
            return Optional.empty();
        }
    }

    @Override
    public List<TopicRule> rules(final ClientPrincipal principal) {
        switch (principal.role()) {
            case PNE:
                final EntityId entity = EntityId.of(principal.identity());
                return List.of(
                        TopicRule.publish(Topics.pan(entity, Topics.KEY_REQUEST)),
                        TopicRule.subscribe(Topics.pan(entity, Topics.CHALLENGE)),
                        TopicRule.subscribe(Topics.pan(entity, Topics.KEY_DELIVERY)),
                        TopicRule.subscribe(Topics.pan(entity, Topics.STATUS)));
            case GATEWAY:
                return List.of(
                        TopicRule.subscribe(Topics.panKeyRequestFilter()),
                        TopicRule.publish(Topics.PAN_PREFIX + "+/" + Topics.CHALLENGE),
                        TopicRule.publish(Topics.PAN_PREFIX + "+/" + Topics.KEY_DELIVERY),
                        TopicRule.publish(Topics.PAN_PREFIX + "+/" + Topics.STATUS));
            default:
                return List.of();
        }
    }

    @Override
    public String toString() {
        return "PanAccessPolicy[internalUser=" + internalUser + "]";
    }
}
