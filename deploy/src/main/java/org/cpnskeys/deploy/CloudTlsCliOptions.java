package org.cpnskeys.deploy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.cpnskeys.broker.CloudTlsOptions;

import picocli.CommandLine.Option;

/** The cloud broker's TLS options, shared by {@code cpns server} (embedded broker) and {@code cpns broker}. */
final class CloudTlsCliOptions {
    @Option(names = "--tls-cert", defaultValue = "${env:CPNS_TLS_CERT}",
            description = {"PEM certificate chain of the cloud broker, leaf first (e.g. an ACME client's fullchain.pem;",
                    "with --tls-key). Default: issued at every start by the cloud CA in <data>/cloud-ca (env CPNS_TLS_CERT)."})
    Path certificate;

    @Option(names = "--tls-key", defaultValue = "${env:CPNS_TLS_KEY}",
            description = "Its unencrypted PEM private key (PKCS#8, EC or RSA; env CPNS_TLS_KEY).")
    Path key;

    @Option(names = "--tls-pkcs12", defaultValue = "${env:CPNS_TLS_PKCS12}",
            description = "Instead of PEM files: a PKCS#12 file with the key and its chain (env CPNS_TLS_PKCS12).")
    Path pkcs12;

    @Option(names = "--tls-pkcs12-password-file", defaultValue = "${env:CPNS_TLS_PKCS12_PASSWORD_FILE}",
            description = "File holding the PKCS#12 password.")
    Path pkcs12PasswordFile;

    @Option(names = "--tls-name", split = ",", defaultValue = "${env:CPNS_TLS_NAMES}",
            description = {"Host names or IPs gateways use to reach the cloud broker, put in the generated broker",
                    "certificate besides localhost and 127.0.0.1 (comma-separated; env CPNS_TLS_NAMES)."})
    List<String> names;

    @Option(names = "--cloud-ca-folder", defaultValue = "${env:CPNS_CLOUD_CA_FOLDER}",
            description = {"Folder of the cloud CA (cloud-ca-key.pem, cloud-ca-cert.pem), e.g. a mounted Secret;",
                    "default <data>/cloud-ca, created at first start (env CPNS_CLOUD_CA_FOLDER)."})
    Path caFolder;

    @Option(names = "--insecure-plaintext", defaultValue = "${env:CPNS_INSECURE_PLAINTEXT:-false}",
            description = {"Plain MQTT instead of TLS on the cloud leg (the listener, and a --broker-host link).",
                    "Anyone on the path then reads gateway tokens, digest answers and wrapped EUKeys: only for a",
                    "network you fully trust. Warned at every start. Not needed on loopback."})
    boolean insecurePlaintext;

    CloudTlsOptions options() {
        Cli.requireFile(certificate, "--tls-cert");
        Cli.requireFile(key, "--tls-key");
        Cli.requireFile(pkcs12, "--tls-pkcs12");
        Cli.requireFile(pkcs12PasswordFile, "--tls-pkcs12-password-file");
        return new CloudTlsOptions(Optional.ofNullable(certificate), Optional.ofNullable(key), Optional.ofNullable(pkcs12),
                Optional.ofNullable(pkcs12PasswordFile), names == null ? List.of() : new ArrayList<>(names),
                insecurePlaintext, Optional.ofNullable(caFolder));
    }
}
