package org.cpnskeys.broker;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.Topics;

/**
 * The access policy of a gateway's PAN broker.
 *
 * <ul>
 *   <li>The gateway's own internal client: user name {@code internalUser} with the right password (checked by
 *       {@code internalSecrets}) → {@link ClientPrincipal.Role#GATEWAY}: subscribes {@code cpns/pan/+/key-request},
 *       or {@code $share/cpns-gateway/cpns/pan/+/key-request} when it runs several instances,
 *       publishes {@code cpns/pan/+/challenge}, {@code .../key-delivery} and {@code .../status}. A client that sends
 *       this user name with a wrong password is refused, certificate or not.</li>
 *   <li>A PNE: a TLS client certificate (verified by the TLS listener against the PAN CA) whose subject CN is a
 *       valid Entity ID, and an MQTT client id equal to that CN → {@link ClientPrincipal.Role#PNE}: publishes only
 *       {@code cpns/pan/{cn}/key-request}, subscribes only {@code cpns/pan/{cn}/+}. Any other user name it sends
 *       is ignored.</li>
 *   <li>Everything else is refused at CONNECT; in particular a PNE without a client certificate can never publish
 *       a key request (the seed's non-secure PAN case, R4, is closed).</li>
 * </ul>
 *
 * <p>Two hooks, given by the application that owns the broker (the gateway):
 * <ul>
 *   <li>{@code certificateAccepted}: asked for every PNE certificate after the TLS handshake verified it; false
 *       refuses the CONNECT (the gateway answers from its register of revoked devices). It runs on HiveMQ's
 *       threads at every CONNECT: it must be fast, thread-safe and must not block.</li>
 *   <li>{@link #withInsecurePnePasswords}: lets PNEs in <b>without</b> a client certificate, by MQTT user name
 *       (= client id = Entity ID) and password. Insecure, for tests and for sites that insist on it: such a PNE
 *       gets the same topics, and the gateway still refuses its proxy Key Requests (R4: a clear EUKey is only
 *       ever sent over a mutually authenticated connection).</li>
 * </ul>
 */
public final class PanAccessPolicy implements BrokerAccessPolicy {
    /**
     * Names starting with this are the system's own (the gateway's PAN user {@code cpns-gateway}, the servers'
     * {@code cpns-server-} client ids): no PNE may be enrolled under one (the PAN CA refuses it) and no PNE
     * certificate or user name carrying one is accepted here, so a device can never pass for the gateway.
     */
    public static final String RESERVED_PREFIX = "cpns-";

    private final String internalUser;
    private final ClientSecrets internalSecrets;
    private final Predicate<X509Certificate> certificateAccepted;
    private final Optional<ClientSecrets> insecurePnePasswords;

    /** The policy without revocation: every PNE certificate the TLS listener verified is accepted. */
    public PanAccessPolicy(final String internalUser, final ClientSecrets internalSecrets) {
        this(internalUser, internalSecrets, certificate -> true);
    }

    /** The policy with a check of each PNE certificate (for example, not revoked). */
    public PanAccessPolicy(final String internalUser, final ClientSecrets internalSecrets,
            final Predicate<X509Certificate> certificateAccepted) {
        this(internalUser, internalSecrets, certificateAccepted, Optional.empty());
    }

    private PanAccessPolicy(final String internalUser, final ClientSecrets internalSecrets,
            final Predicate<X509Certificate> certificateAccepted, final Optional<ClientSecrets> insecurePnePasswords) {
        if (internalUser == null || internalUser.isBlank()) {
            throw new IllegalArgumentException("internal gateway user is missing");
        }
        if (internalSecrets == null) {
            throw new IllegalArgumentException("internal gateway secrets are missing");
        }
        if (certificateAccepted == null || insecurePnePasswords == null) {
            throw new IllegalArgumentException("certificate check is missing");
        }
        this.internalUser = internalUser;
        this.internalSecrets = internalSecrets;
        this.certificateAccepted = certificateAccepted;
        this.insecurePnePasswords = insecurePnePasswords;
    }

    /**
     * This policy, also accepting PNEs that have no client certificate but send user name = client id = a valid
     * Entity ID and a password {@code pnePasswords} verifies. <b>Insecure</b>: see the class comment.
     */
    public PanAccessPolicy withInsecurePnePasswords(final ClientSecrets pnePasswords) {
        if (pnePasswords == null) {
            throw new IllegalArgumentException("PNE passwords are missing");
        }
        return new PanAccessPolicy(internalUser, internalSecrets, certificateAccepted, Optional.of(pnePasswords));
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
            return insecurePnePasswords.flatMap(secrets -> passwordPne(attempt, secrets));
        }
        final Optional<String> cn = CommonNames.of(attempt.clientCertificate().get());
        if (cn.isEmpty() || !cn.get().equals(attempt.clientId()) || reserved(cn.get())) {
            return Optional.empty();
        }
        return pne(cn.get()).filter(p -> certificateAccepted.test(attempt.clientCertificate().get()));
    }

    private Optional<ClientPrincipal> passwordPne(final ConnectAttempt attempt, final ClientSecrets secrets) {
        final String name = attempt.username().orElse(null);
        final byte[] password = attempt.password().orElse(null);
        if (name == null || password == null || !name.equals(attempt.clientId()) || reserved(name)) {
            return Optional.empty();
        }
        return pne(name).filter(p -> secrets.verify(name, password));
    }

    /** Whether a PNE name is one of the system's own: the internal user's, or under {@link #RESERVED_PREFIX}. */
    private boolean reserved(final String name) {
        return name.startsWith(internalUser) || isReserved(name);
    }

    /** Whether {@code name} equals or starts with {@link #RESERVED_PREFIX} (case-insensitive): never a PNE's. */
    public static boolean isReserved(final String name) {
        return name.regionMatches(true, 0, RESERVED_PREFIX, 0, RESERVED_PREFIX.length());
    }

    private static Optional<ClientPrincipal> pne(final String entity) {
        try {
            return Optional.of(new ClientPrincipal(EntityId.of(entity).value(), ClientPrincipal.Role.PNE));
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
                        TopicRule.subscribeShared(Topics.panKeyRequestSharedFilter()),
                        TopicRule.publish(Topics.PAN_PREFIX + "+/" + Topics.CHALLENGE),
                        TopicRule.publish(Topics.PAN_PREFIX + "+/" + Topics.KEY_DELIVERY),
                        TopicRule.publish(Topics.PAN_PREFIX + "+/" + Topics.STATUS));
            default:
                return List.of();
        }
    }

    @Override
    public String toString() {
        return "PanAccessPolicy[internalUser=" + internalUser
                + (insecurePnePasswords.isPresent() ? ", INSECURE password PNEs allowed" : "") + "]";
    }
}
