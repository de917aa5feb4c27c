package org.cpnskeys.protocol.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.CRLException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Base64;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/** PEM encoding of certificates and unencrypted PKCS#8 private keys ("PRIVATE KEY"). */
public final class Pem {
    private static final byte[] NL = {'\n'};
    private static final String CERT_BEGIN = "-----BEGIN CERTIFICATE-----\n";
    private static final String CERT_END = "-----END CERTIFICATE-----\n";
    private static final byte[] KEY_BEGIN = "-----BEGIN PRIVATE KEY-----\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEY_END = "-----END PRIVATE KEY-----\n".getBytes(StandardCharsets.US_ASCII);

    private Pem() {
    }

    public static String certificate(final X509Certificate certificate) {
        try {
            return CERT_BEGIN + Base64.getMimeEncoder(64, NL).encodeToString(certificate.getEncoded()) + "\n" + CERT_END;
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("cannot encode certificate", e);
        }
    }

    public static String crl(final X509CRL crl) {
        try {
            return "-----BEGIN X509 CRL-----\n" + Base64.getMimeEncoder(64, NL).encodeToString(crl.getEncoded())
                    + "\n-----END X509 CRL-----\n";
        } catch (CRLException e) {
            throw new IllegalStateException("cannot encode CRL", e);
        }
    }

    /** The key as PKCS#8 PEM bytes; the caller zeroes the returned array. No String ever holds the key. */
    public static byte[] privateKey(final PrivateKey key) {
        final byte[] der = key.getEncoded();
        final byte[] b64 = Base64.getMimeEncoder(64, NL).encode(der);
        Arrays.fill(der, (byte) 0);
        final byte[] out = new byte[KEY_BEGIN.length + b64.length + 1 + KEY_END.length];
        System.arraycopy(KEY_BEGIN, 0, out, 0, KEY_BEGIN.length);
        System.arraycopy(b64, 0, out, KEY_BEGIN.length, b64.length);
        out[KEY_BEGIN.length + b64.length] = '\n';
        System.arraycopy(KEY_END, 0, out, KEY_BEGIN.length + b64.length + 1, KEY_END.length);
        Arrays.fill(b64, (byte) 0);
        return out;
    }

    /** Parses one PEM certificate; the message of a failure never quotes the content. */
    public static X509Certificate parseCertificate(final byte[] pem, final String what) throws IOException {
        final Object o = readOne(pem, what);
        if (!(o instanceof X509CertificateHolder)) {
            throw new IOException(what + " does not hold a PEM certificate");
        }
        try {
            return new JcaX509CertificateConverter().getCertificate((X509CertificateHolder) o);
        } catch (CertificateException e) {
            throw new IOException(what + " holds an unreadable certificate", e);
        }
    }

    /** Parses one PKCS#8 PEM private key; the message of a failure never quotes the content. */
    public static PrivateKey parsePrivateKey(final byte[] pem, final String what) throws IOException {
        final Object o = readOne(pem, what);
        if (!(o instanceof PrivateKeyInfo)) {
            throw new IOException(what + " does not hold a PKCS#8 PEM private key");
        }
        try {
            return new JcaPEMKeyConverter().getPrivateKey((PrivateKeyInfo) o);
        } catch (IOException e) {
            throw new IOException(what + " holds an unreadable private key", e);
        }
    }

    /**
     * Parses every PEM certificate of a file (a chain, leaf first, as ACME clients write {@code fullchain.pem});
     * other PEM objects are skipped. The message of a failure never quotes the content.
     */
    public static java.util.List<X509Certificate> parseCertificates(final byte[] pem, final String what) throws IOException {
        final java.util.List<X509Certificate> out = new java.util.ArrayList<>();
        try (PEMParser parser = new PEMParser(new InputStreamReader(new ByteArrayInputStream(pem), StandardCharsets.US_ASCII))) {
            for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
                if (o instanceof X509CertificateHolder) {
                    out.add(new JcaX509CertificateConverter().getCertificate((X509CertificateHolder) o));
                }
            }
        } catch (IOException | CertificateException | RuntimeException e) {
            throw new IOException(what + " is not valid PEM", e);
        }
        if (out.isEmpty()) {
            throw new IOException(what + " holds no PEM certificate");
        }
        return out;
    }

    /**
     * Parses one PEM private key: PKCS#8 ("PRIVATE KEY") or the traditional OpenSSL forms ("EC PRIVATE KEY",
     * "RSA PRIVATE KEY"), unencrypted. The message of a failure never quotes the content.
     */
    public static PrivateKey parseAnyPrivateKey(final byte[] pem, final String what) throws IOException {
        final Object o = readOne(pem, what);
        try {
            if (o instanceof PrivateKeyInfo) {
                return new JcaPEMKeyConverter().getPrivateKey((PrivateKeyInfo) o);
            }
            if (o instanceof org.bouncycastle.openssl.PEMKeyPair) {
                return new JcaPEMKeyConverter().getKeyPair((org.bouncycastle.openssl.PEMKeyPair) o).getPrivate();
            }
        } catch (IOException e) {
            throw new IOException(what + " holds an unreadable private key", e);
        }
        throw new IOException(what + " does not hold an unencrypted PEM private key (PKCS#8, EC or RSA)");
    }

    /** Parses one PEM certificate signing request ("CERTIFICATE REQUEST", PKCS#10). */
    public static PKCS10CertificationRequest parseCertificationRequest(final byte[] pem, final String what) throws IOException {
        final Object o = readOne(pem, what);
        if (!(o instanceof PKCS10CertificationRequest)) {
            throw new IOException(what + " does not hold a PEM certificate signing request (PKCS#10)");
        }
        return (PKCS10CertificationRequest) o;
    }

    private static Object readOne(final byte[] pem, final String what) throws IOException {
        final Object o;
        try (PEMParser parser = new PEMParser(new InputStreamReader(new ByteArrayInputStream(pem), StandardCharsets.US_ASCII))) {
            o = parser.readObject();
        } catch (IOException | RuntimeException e) {
            // BouncyCastle reports malformed base64 or DER with IOExceptions and unchecked exceptions alike.
            throw new IOException(what + " is not valid PEM", e);
        }
        if (o == null) {
            throw new IOException(what + " is empty or not PEM");
        }
        return o;
    }
}
