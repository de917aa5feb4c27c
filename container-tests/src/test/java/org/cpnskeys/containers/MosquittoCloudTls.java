package org.cpnskeys.containers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.cpnskeys.broker.CloudTls;
import org.cpnskeys.protocol.tls.CertificateAuthority;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.MountableFile;

/**
 * The TLS files the shipped Mosquitto cloud configuration ({@code deploy/mosquitto/cloud}) names in
 * {@code /mosquitto/config/certs/}: a cloud CA made here and a broker certificate from it for localhost and
 * 127.0.0.1 (where the tests reach the container).
 */
final class MosquittoCloudTls {
    static final String[] FILES = {"cloud-ca.pem", "cloud-broker.pem", "cloud-broker-key.pem"};

    private final Path certs;
    private final String caPem;

    private MosquittoCloudTls(final Path certs, final String caPem) {
        this.certs = certs;
        this.caPem = caPem;
    }

    static MosquittoCloudTls create(final Path dir) throws IOException {
        final CertificateAuthority ca = CloudTls.cloudCa(dir);
        final Path certs = Files.createDirectories(dir.resolve("certs"));
        ca.issueServer(List.of("localhost"), List.of("127.0.0.1"), CertificateAuthority.DEFAULT_LEAF_VALIDITY)
                .writePem(certs.resolve("cloud-broker-key.pem"), certs.resolve("cloud-broker.pem"));
        Files.writeString(certs.resolve("cloud-ca.pem"), ca.caCertificatePem());
        return new MosquittoCloudTls(certs, ca.caCertificatePem());
    }

    /** The CA the clients trust. */
    String caPem() {
        return caPem;
    }

    /** {@code container} with the three files copied in (readable by Mosquitto's own user). */
    GenericContainer<?> addTo(final GenericContainer<?> container) {
        GenericContainer<?> c = container;
        for (final String f : FILES) {
            c = c.withCopyFileToContainer(MountableFile.forHostPath(certs.resolve(f), 0644), "/mosquitto/config/certs/" + f);
        }
        return c;
    }
}
