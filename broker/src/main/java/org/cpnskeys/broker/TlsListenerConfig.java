package org.cpnskeys.broker;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A MQTT-over-TLS listener (TLS 1.3 and 1.2 only).
 *
 * <p>Key and trust stores: HiveMQ CE opens both with {@code KeyStore.getInstance("JKS")}. On Java 9 and later that
 * loader also reads PKCS#12 files (the JDK's {@code keystore.type.compat} default), so <b>PKCS#12 files are the
 * preferred format</b> and JKS files work too; both are covered by this module's tests. Other types (PKCS#11,
 * BCFKS, PEM files) are not supported. The key store must hold exactly the server's private key entry with its
 * certificate chain; {@code privateKeyPassword} is the password of that entry (for PKCS#12 files made by
 * {@code keytool} or {@code KeyStore.store}, the same as the store password).
 *
 * <p>Client certificates: when {@code clientCertificateRequired} is true the listener runs with
 * {@code client-authentication-mode REQUIRED}: a client without a certificate issued by a CA in the trust store
 * fails the TLS handshake, before MQTT starts. When it is false and a trust store is given, a certificate is
 * optional ({@code OPTIONAL}; when presented it must still chain to the trust store); without a trust store
 * no certificate is asked for ({@code NONE}).
 *
 * <p>{@link #toString()} never shows the passwords.
 *
 * @param bindAddress the address to bind
 * @param port the port; 0 binds any free port (read the real one with {@link EmbeddedBroker#tlsPort()})
 * @param keyStore the server's key store (PKCS#12 preferred, or JKS)
 * @param keyStorePassword the key store's password
 * @param privateKeyPassword the password of the private key entry
 * @param trustStore the CAs that issue client certificates (PKCS#12 or JKS); {@code null} for none
 * @param trustStorePassword the trust store's password; {@code null} when there is no trust store
 * @param clientCertificateRequired whether every client must present a certificate from the trust store
 */
public record TlsListenerConfig(String bindAddress, int port, Path keyStore, String keyStorePassword,
                                String privateKeyPassword, Path trustStore, String trustStorePassword,
                                boolean clientCertificateRequired) {
    public TlsListenerConfig {
        bindAddress = ConfigChecks.bindAddress(bindAddress);
        ConfigChecks.port(port);
        if (keyStore == null) {
            throw new IllegalArgumentException("TLS listener needs a key store");
        }
        keyStore = keyStore.toAbsolutePath().normalize();
        if (keyStorePassword == null || privateKeyPassword == null) {
            throw new IllegalArgumentException("TLS listener needs the key store and private key passwords");
        }
        if (trustStore != null) {
            trustStore = trustStore.toAbsolutePath().normalize();
            if (trustStorePassword == null) {
                throw new IllegalArgumentException("TLS listener needs the trust store password");
            }
        } else if (clientCertificateRequired) {
            throw new IllegalArgumentException("client certificates are required but no trust store is configured");
        }
    }

    /** The trust store, when one is configured. */
    public Optional<Path> trustStoreFile() {
        return Optional.ofNullable(trustStore);
    }

    /** HiveMQ's {@code client-authentication-mode} for this listener. */
    String clientAuthenticationMode() {
        if (clientCertificateRequired) {
            return "REQUIRED";
        }
        return trustStore == null ? "NONE" : "OPTIONAL";
    }

    @Override
    public String toString() {
        return "TlsListenerConfig[bindAddress=" + bindAddress + ", port=" + port + ", keyStore=" + keyStore
                + ", trustStore=" + trustStore + ", clientCertificateRequired=" + clientCertificateRequired
                + ", passwords=<redacted>]";
    }
}
