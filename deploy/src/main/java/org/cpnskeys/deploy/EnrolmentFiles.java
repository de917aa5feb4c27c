package org.cpnskeys.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.crypto.SecretFiles;
import org.cpnskeys.protocol.tls.IssuedIdentity;

/** Where {@code cpns gateway enroll} writes what a device needs, one device or a fleet. Blocking file I/O. */
final class EnrolmentFiles {
    private EnrolmentFiles() {
    }

    /** {@code <entity>-cert.pem}: the certificate issued from the device's CSR, then the CA certificate. */
    static Path writeCertificate(final Path out, final EntityId e, final String certificatePem, final String caPem)
            throws IOException {
        final Path file = out.resolve(e.value() + "-cert.pem");
        Files.writeString(file, certificatePem + caPem);
        return file;
    }

    /**
     * A generated bundle: {@code <entity>.p12} with its password in {@code <entity>.p12.pass}, and the same
     * identity as {@code <entity>-key.pem} / {@code <entity>-cert.pem}. Key files owner-only.
     */
    static Path writeBundle(final Path out, final EntityId e, final IssuedIdentity identity) throws IOException {
        final char[] password = LocalSystem.randomPassword();
        try {
            identity.writePkcs12(out.resolve(e.value() + ".p12"), password);
            SecretFiles.writeAtomically(out.resolve(e.value() + ".p12.pass"),
                    new String(password).getBytes(StandardCharsets.UTF_8));
        } finally {
            Arrays.fill(password, '\0');
        }
        final Path certificate = out.resolve(e.value() + "-cert.pem");
        identity.writePem(out.resolve(e.value() + "-key.pem"), certificate);
        return certificate;
    }
}
