package org.cpnskeys.broker;

import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.auth.SimpleAuthenticator;
import com.hivemq.extension.sdk.api.auth.parameter.SimpleAuthInput;
import com.hivemq.extension.sdk.api.auth.parameter.SimpleAuthOutput;
import com.hivemq.extension.sdk.api.auth.parameter.TopicPermission;
import com.hivemq.extension.sdk.api.client.parameter.ClientTlsInformation;
import com.hivemq.extension.sdk.api.client.parameter.ConnectionInformation;
import com.hivemq.extension.sdk.api.client.parameter.Listener;
import com.hivemq.extension.sdk.api.client.parameter.ListenerType;
import com.hivemq.extension.sdk.api.client.parameter.ServerInformation;
import com.hivemq.extension.sdk.api.packets.auth.DefaultAuthorizationBehaviour;
import com.hivemq.extension.sdk.api.packets.auth.ModifiableDefaultPermissions;
import com.hivemq.extension.sdk.api.packets.connect.ConnackReasonCode;
import com.hivemq.extension.sdk.api.packets.connect.ConnectPacket;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.services.builder.Builders;
import com.hivemq.extension.sdk.api.services.session.ClientService;
import java.nio.ByteBuffer;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HiveMQ extension that puts a {@link BrokerAccessPolicy} in force: one authenticator that asks the
 * policy at every CONNECT and gives the client the policy's rules as its default permissions, default DENY.
 * {@link EmbeddedBroker} registers it as an embedded extension; the {@code hivemq-extension} module wraps it in
 * an extension a standalone HiveMQ CE loads from its {@code extensions/} folder.
 *
 * <p>HiveMQ hands an embedded extension its services through static fields of the SDK's {@code Services} class,
 * which all embedded brokers of one JVM share. So everything is taken from them in {@link #extensionStart} (and
 * {@link EmbeddedBroker} never starts two brokers at the same time).
 *
 * <p>It remembers the certificate each client authenticated with, so that a revocation can reach clients already
 * connected: {@link #disconnectUnless} disconnects every client whose certificate is no longer accepted.
 */
public final class PolicyExtension implements ExtensionMain {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyExtension.class);

    private final BrokerAccessPolicy policy;
    private volatile ServerInformation serverInformation;
    private volatile ClientService clientService;
    private volatile boolean authenticatorRegistered;
    /**
     * The certificate each accepted client id last authenticated with. Entries stay after a disconnect (a later
     * CONNECT under the same id replaces its entry, and disconnecting a client that is gone does nothing), so the map
     * is bounded by the client ids the policy ever accepted with a certificate: on the PAN, the enrolled devices.
     */
    private final Map<String, X509Certificate> certificates = new ConcurrentHashMap<>();

    public PolicyExtension(final BrokerAccessPolicy policy) {
        this.policy = policy;
    }

    @Override
    public void extensionStart(final ExtensionStartInput input, final ExtensionStartOutput output) {
        serverInformation = input.getServerInformation();
        clientService = Services.clientService();
        final SimpleAuthenticator authenticator = this::onConnect;
        Services.securityRegistry().setAuthenticatorProvider(providerInput -> authenticator);
        authenticatorRegistered = true;
    }

    @Override
    public void extensionStop(final ExtensionStopInput input, final ExtensionStopOutput output) {
        // nothing to release
    }

    Optional<ServerInformation> serverInformation() {
        return Optional.ofNullable(serverInformation);
    }

    boolean authenticatorRegistered() {
        return authenticatorRegistered;
    }

    /**
     * Disconnects every connected client whose certificate {@code stillAccepted} now refuses (a revocation); safe to
     * call from any thread, never blocks. Completes with the number of clients disconnected.
     */
    public CompletableFuture<Integer> disconnectUnless(final Predicate<X509Certificate> stillAccepted) {
        final ClientService clients = clientService;
        if (clients == null) {
            return CompletableFuture.completedFuture(0);
        }
        final List<CompletableFuture<Boolean>> disconnects = new ArrayList<>();
        certificates.forEach((clientId, certificate) -> {
            if (!stillAccepted.test(certificate) && certificates.remove(clientId, certificate)) {
                LOG.info("Disconnecting client '{}': its certificate is no longer accepted (revoked)", clientId);
                disconnects.add(clients.disconnectClient(clientId).toCompletableFuture());
            }
        });
        return CompletableFuture.allOf(disconnects.toArray(new CompletableFuture<?>[0]))
                .thenApply(all -> (int) disconnects.stream().filter(CompletableFuture::join).count());
    }

    private void onConnect(final SimpleAuthInput input, final SimpleAuthOutput output) {
        final ConnectPacket connect = input.getConnectPacket();
        final ConnectionInformation connection = input.getConnectionInformation();
        final String clientId = input.getClientInformation().getClientId();
        final byte[] password = connect.getPassword().map(PolicyExtension::copy).orElse(null);
        try {
            final Optional<X509Certificate> certificate = connection.getClientTlsInformation()
                    .flatMap(ClientTlsInformation::getClientCertificate);
            final boolean tls = connection.getClientTlsInformation().isPresent()
                    || connection.getListener().map(Listener::getListenerType)
                    .filter(type -> type == ListenerType.TLS_TCP_LISTENER || type == ListenerType.TLS_WEBSOCKET_LISTENER)
                    .isPresent();
            final ConnectAttempt attempt = new ConnectAttempt(clientId, connect.getUserName(),
                    Optional.ofNullable(password), certificate, tls);
            final Optional<ClientPrincipal> principal = policy.authenticate(attempt);
            if (principal.isEmpty()) {
                LOG.debug("Refused client '{}' (user {})", clientId, connect.getUserName().orElse("<none>"));
                output.failAuthentication(ConnackReasonCode.NOT_AUTHORIZED, "not authorized");
                return;
            }
            final List<TopicPermission> permissions = permissions(policy.rules(principal.get()));
            final ModifiableDefaultPermissions defaults = output.getDefaultPermissions();
            defaults.clear();
            defaults.addAll(permissions);
            defaults.setDefaultBehaviour(DefaultAuthorizationBehaviour.DENY);
            LOG.debug("Accepted client '{}' as {} {}", clientId, principal.get().role(), principal.get().identity());
            certificate.ifPresentOrElse(c -> certificates.put(clientId, c), () -> certificates.remove(clientId));
            output.authenticateSuccessfully();
        } catch (RuntimeException e) {
            // never log the attempt itself: the exception message of a policy might quote it
            LOG.warn("Access policy failed for client '{}' ({}); refusing it", clientId, e.getClass().getName());
            output.failAuthentication(ConnackReasonCode.NOT_AUTHORIZED, "not authorized");
        } finally {
            if (password != null) {
                Arrays.fill(password, (byte) 0);
            }
        }
    }

    private static byte[] copy(final ByteBuffer buffer) {
        final ByteBuffer view = buffer.duplicate();
        final byte[] bytes = new byte[view.remaining()];
        view.get(bytes);
        return bytes;
    }

    /** HiveMQ permissions for the rules; retained publishes are never allowed. */
    static List<TopicPermission> permissions(final List<TopicRule> rules) {
        final List<TopicPermission> permissions = new ArrayList<>();
        for (final TopicRule rule : rules) {
            if (rule.activity() != TopicRule.Activity.SUBSCRIBE) {
                permissions.add(Builders.topicPermission()
                        .topicFilter(rule.plainFilter())
                        .type(TopicPermission.PermissionType.ALLOW)
                        .activity(TopicPermission.MqttActivity.PUBLISH)
                        .qos(TopicPermission.Qos.ALL)
                        .retain(TopicPermission.Retain.NOT_RETAINED)
                        .build());
            }
            if (rule.activity() != TopicRule.Activity.PUBLISH) {
                final var builder = Builders.topicPermission()
                        .topicFilter(rule.plainFilter())
                        .type(TopicPermission.PermissionType.ALLOW)
                        .activity(TopicPermission.MqttActivity.SUBSCRIBE)
                        .qos(TopicPermission.Qos.ALL);
                if (rule.shared()) {
                    builder.sharedSubscription(TopicPermission.SharedSubscription.SHARED)
                            .sharedGroup(rule.sharedGroup());
                } else {
                    builder.sharedSubscription(TopicPermission.SharedSubscription.NOT_SHARED);
                }
                permissions.add(builder.build());
            }
        }
        return permissions;
    }
}
