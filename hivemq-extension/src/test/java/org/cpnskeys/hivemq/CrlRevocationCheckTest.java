package org.cpnskeys.hivemq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.cpnskeys.broker.HashedSecrets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The extension's revocation check and settings: fail closed on anything doubtful. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CrlRevocationCheckTest {
    @TempDir
    Path dir;

    private final Pki pki = new Pki();

    /** Verifies that a listed certificate is refused and an unlisted one accepted, and that a rewrite is seen. */
    @Test
    void crlSignedByCa_listsRevoked_reloadSeesRewrite() throws Exception {
        final X509Certificate a = pki.device("a", pki.ca, pki.caKey);
        final X509Certificate b = pki.device("b", pki.ca, pki.caKey);
        final Path crl = dir.resolve("pan-crl.pem");
        pki.writeCrl(crl, pki.caName, pki.caKey, List.of(), Instant.now().plus(Duration.ofDays(1)));
        final CrlRevocationCheck check = new CrlRevocationCheck(pki.ca, crl);
        check.reloadIfChanged();
        assertTrue(check.test(a) && check.test(b));
        assertEquals(0, check.revokedCount());

        pki.writeCrl(crl, pki.caName, pki.caKey, List.of(a.getSerialNumber()), Instant.now().plus(Duration.ofDays(1)));
        Files.setLastModifiedTime(crl, java.nio.file.attribute.FileTime.from(Instant.now().plusSeconds(5)));
        check.reloadIfChanged();
        assertFalse(check.test(a), "revoked");
        assertTrue(check.test(b), "not revoked");
    }

    /** Verifies that before a first read, with a missing file, or with a garbled one, every certificate is refused. */
    @Test
    void noUsableCrl_refusesEveryCertificate() throws Exception {
        final X509Certificate a = pki.device("a", pki.ca, pki.caKey);
        final Path crl = dir.resolve("pan-crl.pem");
        final CrlRevocationCheck check = new CrlRevocationCheck(pki.ca, crl);
        assertFalse(check.test(a), "not read yet");
        check.reloadIfChanged();
        assertFalse(check.test(a), "missing file");
        assertEquals(-1, check.revokedCount());
        Files.writeString(crl, "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n");
        check.reloadIfChanged();
        assertFalse(check.test(a), "garbled file");
    }

    /** Verifies that a CRL signed by another key under the CA's name, or an expired CRL, is not trusted. */
    @Test
    void forgedOrExpiredCrl_refusesEveryCertificate() throws Exception {
        final X509Certificate a = pki.device("a", pki.ca, pki.caKey);
        final Path forged = dir.resolve("forged.pem");
        final KeyPair other = Pki.ec();
        pki.writeCrl(forged, pki.caName, other.getPrivate(), List.of(), Instant.now().plus(Duration.ofDays(1)));
        final CrlRevocationCheck forgedCheck = new CrlRevocationCheck(pki.ca, forged);
        forgedCheck.reloadIfChanged();
        assertFalse(forgedCheck.test(a), "an empty CRL not signed by the CA must not readmit anyone");

        final Path expired = dir.resolve("expired.pem");
        pki.writeCrl(expired, pki.caName, pki.caKey, List.of(), Instant.now().minusSeconds(60));
        final CrlRevocationCheck expiredCheck = new CrlRevocationCheck(pki.ca, expired);
        expiredCheck.reloadIfChanged();
        assertFalse(expiredCheck.test(a), "a CRL past its nextUpdate");
    }

    /** Verifies the settings file: hash and paths read, a missing hash or file refused with the key named. */
    @Test
    void settings_readAndValidated() throws Exception {
        Files.writeString(dir.resolve("ca.pem"), "x");
        Files.writeString(dir.resolve("crl.pem"), "x");
        final String hash = HexFormat.of().formatHex(HashedSecrets.sha256("pw".getBytes()));
        Files.writeString(dir.resolve(PanPolicySettings.FILE), "gateway-password-sha256=" + hash
                + "\nca-file=ca.pem\ncrl-file=" + dir.resolve("crl.pem") + "\n");
        final PanPolicySettings s = PanPolicySettings.read(dir);
        assertEquals("cpns-gateway", s.gatewayUser());
        assertEquals(hash, HexFormat.of().formatHex(s.gatewayPasswordSha256()));
        assertEquals(dir.resolve("ca.pem"), s.caFile());
        assertFalse(s.toString().contains(hash), "the hash is not printed");

        Files.writeString(dir.resolve(PanPolicySettings.FILE), "gateway-password-sha256=\nca-file=ca.pem\ncrl-file=crl.pem\n");
        assertTrue(assertThrows(IOException.class, () -> PanPolicySettings.read(dir)).getMessage()
                .contains("gateway-password-sha256"));
        Files.writeString(dir.resolve(PanPolicySettings.FILE), "gateway-password-sha256=" + hash
                + "\nca-file=ca.pem\ncrl-file=nowhere.pem\n");
        assertTrue(assertThrows(IOException.class, () -> PanPolicySettings.read(dir)).getMessage().contains("crl-file"));
        Files.delete(dir.resolve(PanPolicySettings.FILE));
        assertThrows(IOException.class, () -> PanPolicySettings.read(dir));
    }

    /** A throw-away CA issuing device certificates and CRLs. */
    private static final class Pki {
        final X500Name caName = new X500Name("CN=test PAN CA");
        final PrivateKey caKey;
        final X509Certificate ca;

        Pki() {
            try {
                final KeyPair k = ec();
                caKey = k.getPrivate();
                ca = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(caName,
                        BigInteger.ONE, Date.from(Instant.now().minusSeconds(60)),
                        Date.from(Instant.now().plus(Duration.ofDays(2))), caName, k.getPublic())
                        .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey)));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        X509Certificate device(final String cn, final X509Certificate issuer, final PrivateKey issuerKey)
                throws Exception {
            return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(caName,
                    new BigInteger(64, new java.security.SecureRandom()).add(BigInteger.TWO),
                    Date.from(Instant.now().minusSeconds(60)), issuer.getNotAfter(), new X500Name("CN=" + cn),
                    ec().getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
        }

        void writeCrl(final Path file, final X500Name issuer, final PrivateKey key, final List<BigInteger> serials,
                final Instant nextUpdate) throws Exception {
            final X509v2CRLBuilder b = new X509v2CRLBuilder(issuer, Date.from(Instant.now().minusSeconds(120)));
            b.setNextUpdate(Date.from(nextUpdate));
            for (final BigInteger s : serials) {
                b.addCRLEntry(s, new Date(), 0);
            }
            final X509CRL crl = new JcaX509CRLConverter().getCRL(b.build(new JcaContentSignerBuilder("SHA256withECDSA")
                    .build(key)));
            Files.writeString(file, "-----BEGIN X509 CRL-----\n" + Base64.getMimeEncoder().encodeToString(crl.getEncoded())
                    + "\n-----END X509 CRL-----\n");
        }

        static KeyPair ec() throws Exception {
            final KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        }
    }
}
