package org.cpnskeys.broker;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * How a cloud broker (the server's embedded one or {@code cpns broker}) gets its TLS identity.
 *
 * <p>By default ({@link #generated}) from a cloud CA created in its data folder at first start, with a broker
 * certificate naming {@code names} plus {@code localhost} and {@code 127.0.0.1}. An operator's own certificate
 * comes either as PEM files ({@code certificateFile}: the chain, leaf first, e.g. an ACME client's
 * {@code fullchain.pem}; {@code keyFile}: its unencrypted private key) or as a PKCS#12 file with a password file.
 * {@code insecurePlaintext} replaces the TLS listener by a plain one: named so, warned at every start.
 *
 * @param certificateFile PEM certificate chain, leaf first (with {@code keyFile})
 * @param keyFile PEM private key of the leaf (with {@code certificateFile})
 * @param pkcs12File a PKCS#12 key store holding the key and its chain (instead of the PEM files)
 * @param pkcs12PasswordFile the file holding the PKCS#12 password (with {@code pkcs12File})
 * @param names extra DNS names or IP addresses in a generated broker certificate (what gateways connect to)
 * @param insecurePlaintext plain MQTT instead of TLS
 * @param caFolder where the cloud CA lives, when not in {@code <data>/cloud-ca} (e.g. a Kubernetes Secret mounted
 *        read-only: both files must then exist)
 */
public record CloudTlsOptions(Optional<Path> certificateFile, Optional<Path> keyFile, Optional<Path> pkcs12File,
        Optional<Path> pkcs12PasswordFile, List<String> names, boolean insecurePlaintext, Optional<Path> caFolder) {
    public CloudTlsOptions {
        names = List.copyOf(names);
        if (certificateFile.isPresent() != keyFile.isPresent()) {
            throw new IllegalArgumentException("a PEM broker certificate needs both files: --tls-cert and --tls-key");
        }
        if (pkcs12File.isPresent() != pkcs12PasswordFile.isPresent()) {
            throw new IllegalArgumentException("a PKCS#12 broker identity needs --tls-pkcs12 and --tls-pkcs12-password-file");
        }
        if (certificateFile.isPresent() && pkcs12File.isPresent()) {
            throw new IllegalArgumentException("give the broker certificate either as PEM (--tls-cert/--tls-key) or as"
                    + " PKCS#12 (--tls-pkcs12), not both");
        }
        if (insecurePlaintext && (certificateFile.isPresent() || pkcs12File.isPresent())) {
            throw new IllegalArgumentException("--insecure-plaintext turns TLS off: do not give certificate files with it");
        }
    }

    /** TLS with a cloud CA and broker certificate generated in the data folder. */
    public static CloudTlsOptions generated(final List<String> names) {
        return new CloudTlsOptions(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), names, false,
                Optional.empty());
    }

    /** Plain MQTT: for loopback-only set-ups that asked for it. */
    public static CloudTlsOptions insecurePlaintextListener() {
        return new CloudTlsOptions(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), List.of(), true,
                Optional.empty());
    }

    /** Whether the operator named the broker's certificate (else it is generated from the cloud CA). */
    public boolean operatorCertificate() {
        return certificateFile.isPresent() || pkcs12File.isPresent();
    }
}
