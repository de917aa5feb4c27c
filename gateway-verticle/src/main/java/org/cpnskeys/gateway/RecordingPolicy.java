package org.cpnskeys.gateway;

import java.util.List;
import java.util.Optional;

import org.cpnskeys.broker.BrokerAccessPolicy;
import org.cpnskeys.broker.ClientPrincipal;
import org.cpnskeys.broker.ConnectAttempt;
import org.cpnskeys.broker.TopicRule;
import org.cpnskeys.protocol.EntityId;

/**
 * Remembers how each PNE authenticated as it connects (its certificate's fingerprint, for the approval prompt,
 * or that it had none, for R4).
 */
final class RecordingPolicy implements BrokerAccessPolicy {
    private final BrokerAccessPolicy delegate;
    private final DeviceDirectory devices;

    RecordingPolicy(final BrokerAccessPolicy delegate, final DeviceDirectory devices) {
        this.delegate = delegate;
        this.devices = devices;
    }

    @Override
    public Optional<ClientPrincipal> authenticate(final ConnectAttempt attempt) {
        final Optional<ClientPrincipal> who = delegate.authenticate(attempt);
        who.filter(p -> p.role() == ClientPrincipal.Role.PNE).map(p -> EntityId.of(p.identity()))
                .ifPresent(entity -> attempt.clientCertificate().ifPresentOrElse(
                        cert -> devices.connected(entity, cert),
                        () -> devices.connectedWithoutCertificate(entity)));
        return who;
    }

    @Override
    public List<TopicRule> rules(final ClientPrincipal principal) {
        return delegate.rules(principal);
    }
}
