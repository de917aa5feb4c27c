package org.cpnskeys.broker;

import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * What a client presented at CONNECT.
 *
 * <p>The password array is the broker's own copy, wiped after the policy has run: do not keep it.
 * {@link #toString()} shows whether a password was sent, never the password.
 *
 * @param clientId the MQTT client identifier
 * @param username the MQTT user name, if sent
 * @param password the MQTT password, if sent
 * @param clientCertificate the client's TLS certificate; present only on a TLS listener that asked for one, and
 *        then already verified by the TLS handshake against the listener's trust store
 * @param tls whether the connection came in over TLS
 */
public record ConnectAttempt(String clientId, Optional<String> username, Optional<byte[]> password,
                             Optional<X509Certificate> clientCertificate, boolean tls) {
    public ConnectAttempt {
        if (clientId == null || username == null || password == null || clientCertificate == null) {
            throw new IllegalArgumentException("connect attempt fields must not be null (use Optional.empty())");
        }
    }

    @Override
    public String toString() {
        return "ConnectAttempt[clientId=" + clientId + ", username=" + username.orElse("<none>")
                + ", password=" + (password.isPresent() ? "<redacted>" : "<none>")
                + ", clientCertificate=" + clientCertificate.map(c -> c.getSubjectX500Principal().getName())
                .orElse("<none>") + ", tls=" + tls + "]";
    }
}
