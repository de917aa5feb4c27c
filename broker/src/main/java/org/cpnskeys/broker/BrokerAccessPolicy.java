package org.cpnskeys.broker;

import java.util.List;
import java.util.Optional;

/**
 * Who may connect to an {@link EmbeddedBroker} and which topics they may use. Deny by default: a connection the
 * policy does not authenticate is refused at CONNECT, and an authenticated client may only publish and subscribe
 * where one of its {@link TopicRule}s allows it (a denied SUBSCRIBE fails in the SUBACK; a denied PUBLISH
 * disconnects the client). Retained publishes are always refused (key material must not rest on the broker).
 *
 * <p>Both methods run on HiveMQ's extension threads, once per CONNECT; they must be thread-safe, fast and
 * non-blocking. An exception counts as a refusal. Implementations must not log passwords.
 */
public interface BrokerAccessPolicy {
    /** The identity behind a connection attempt, or empty to refuse it. */
    Optional<ClientPrincipal> authenticate(ConnectAttempt attempt);

    /** The topics an authenticated client may use; an empty list allows nothing. */
    List<TopicRule> rules(ClientPrincipal principal);
}
