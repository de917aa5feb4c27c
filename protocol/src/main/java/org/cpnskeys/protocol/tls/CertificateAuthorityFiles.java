package org.cpnskeys.protocol.tls;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.Arrays;

/**
 * Loads a {@link CertificateAuthority} from its two files, checking that they belong together and are usable: the
 * certificate is a CA certificate, the key signs what the certificate's key verifies, and it is valid now. Every
 * refusal names the file and what to do; nothing of the key is ever quoted.
 */
final class CertificateAuthorityFiles {
    private static final SecureRandom RANDOM = new SecureRandom();

    private CertificateAuthorityFiles() {
    }

    static CertificateAuthority load(final Path keyFile, final Path certFile, final CertificateAuthority.Layout files)
            throws IOException {
        final String label = files.label();
        final X509Certificate cert = Pem.parseCertificate(java.nio.file.Files.readAllBytes(certFile),
                label + " certificate " + certFile);
        final byte[] keyPem = java.nio.file.Files.readAllBytes(keyFile);
        final PrivateKey key;
        try {
            key = Pem.parsePrivateKey(keyPem, label + " key " + keyFile);
        } finally {
            Arrays.fill(keyPem, (byte) 0);
        }
        if (cert.getBasicConstraints() < 0) {
            throw new IOException(label + " certificate " + certFile + " is not a CA certificate");
        }
        if (!keyMatches(key, cert.getPublicKey())) {
            throw new IOException(label + " key " + keyFile + " does not match the certificate " + certFile
                    + " (files from two different CAs?)");
        }
        try {
            cert.checkValidity();
        } catch (CertificateExpiredException e) {
            throw new IOException(label + " certificate " + certFile + " expired on " + cert.getNotAfter().toInstant()
                    + ": remove " + keyFile.getFileName() + " and " + certFile.getFileName()
                    + " to create a new " + label + " (" + files.consequence() + ")", e);
        } catch (CertificateNotYetValidException e) {
            throw new IOException(label + " certificate " + certFile + " is valid only from "
                    + cert.getNotBefore().toInstant() + ": check this machine's clock", e);
        }
        return new CertificateAuthority(key, cert, label);
    }

    private static boolean keyMatches(final PrivateKey key, final PublicKey publicKey) {
        try {
            final byte[] probe = new byte[32];
            RANDOM.nextBytes(probe);
            final Signature signer = Signature.getInstance(CertificateAuthority.SIGNATURE);
            signer.initSign(key);
            signer.update(probe);
            final byte[] signature = signer.sign();
            final Signature verifier = Signature.getInstance(CertificateAuthority.SIGNATURE);
            verifier.initVerify(publicKey);
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
