package org.cpnskeys.deploy;

import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.cpnskeys.protocol.crypto.SecretFiles;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cpns server store-tls}: a CA and a TLS certificate for the PostgreSQL server of the EUKey store, for a
 * deployment that runs its own PostgreSQL (the Compose file, the Kubernetes manifests) and has no CA of its own.
 * The CA's private key is not kept: a new certificate comes with a new CA, given again to every server.
 */
@Command(name = "store-tls", mixinStandardHelpOptions = true,
        description = {"Makes the TLS files of the store's PostgreSQL server: ca.pem (give it to every CPNS Server as",
                "--pg-ca-file), server.pem and server.key (PostgreSQL's ssl_cert_file and ssl_key_file; the key",
                "owner-only). A CA of your own (or an ACME client) does as well."})
final class StoreTlsCommand implements Callable<Integer> {
    static final String CA_FILE = "ca.pem";
    static final String CERTIFICATE_FILE = "server.pem";
    static final String KEY_FILE = "server.key";

    @Option(names = "--out", required = true, description = "Folder to write the three files into.")
    Path out;

    @Option(names = "--host", required = true, split = ",",
            description = "Names (and addresses) the servers reach PostgreSQL by, comma-separated: each one goes in the certificate.")
    List<String> hosts;

    @Option(names = "--days", defaultValue = "825", description = "Validity of the certificate (default ${DEFAULT-VALUE} days).")
    int days;

    @Option(names = "--keep-existing", description = "If the three files exist already, keep them and succeed (an init container).")
    boolean keepExisting;

    @Override
    public Integer call() throws Exception {
        final List<Path> files = List.of(out.resolve(CA_FILE), out.resolve(CERTIFICATE_FILE), out.resolve(KEY_FILE));
        if (keepExisting && files.stream().allMatch(Files::exists)) {
            System.out.println("kept the existing store TLS files in " + out);
            return 0;
        }
        for (final Path f : files) {
            if (Files.exists(f)) {
                throw new IllegalArgumentException(f + " exists already; not overwritten");
            }
        }
        if (days < 1 || days > 3650) {
            throw new IllegalArgumentException("--days must be 1-3650");
        }
        final KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        final KeyPair caKeys = g.generateKeyPair();
        final KeyPair serverKeys = g.generateKeyPair();
        final Instant now = Instant.now();
        final X500Name caName = new X500Name("CN=CPNS store CA " + HexFormat.of().formatHex(random(4)));
        final X509Certificate ca = sign(new JcaX509v3CertificateBuilder(caName, serial(),
                Date.from(now.minus(1, ChronoUnit.HOURS)), Date.from(now.plus(days + 1L, ChronoUnit.DAYS)), caName,
                caKeys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign)), caKeys);
        final X509Certificate server = sign(new JcaX509v3CertificateBuilder(caName, serial(),
                Date.from(now.minus(1, ChronoUnit.HOURS)), Date.from(now.plus(days, ChronoUnit.DAYS)),
                new X500Name("CN=" + hosts.get(0).replaceAll("[,=+<>#;\"\\\\]", "")), serverKeys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                .addExtension(Extension.subjectAlternativeName, false, names()), caKeys);
        SecretFiles.ownerOnlyDirectory(out);
        SecretFiles.writeNew(out.resolve(KEY_FILE), pem("PRIVATE KEY", serverKeys.getPrivate().getEncoded()));
        SecretFiles.writePublicAtomically(out.resolve(CERTIFICATE_FILE), pem("CERTIFICATE", server.getEncoded()));
        SecretFiles.writePublicAtomically(out.resolve(CA_FILE), pem("CERTIFICATE", ca.getEncoded()));
        System.out.println("store TLS files for " + String.join(", ", hosts) + " in " + out + "; CA SHA-256 "
                + HexFormat.ofDelimiter(":").formatHex(MessageDigest.getInstance("SHA-256").digest(ca.getEncoded())));
        return 0;
    }

    private GeneralNames names() {
        final List<GeneralName> names = new ArrayList<>();
        for (final String h : hosts) {
            final String host = h.strip();
            if (host.isEmpty()) {
                throw new IllegalArgumentException("--host holds an empty name");
            }
            names.add(isAddress(host) ? new GeneralName(GeneralName.iPAddress, host)
                    : new GeneralName(GeneralName.dNSName, host));
        }
        return new GeneralNames(names.toArray(GeneralName[]::new));
    }

    /** An IPv4 or IPv6 literal (checked without a name look-up). */
    private static boolean isAddress(final String host) {
        if (!host.matches("[0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:.]*")) {
            return false;
        }
        try {
            InetAddress.getByName(host);
            return true;
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("--host " + host + " is not a valid address");
        }
    }

    private static X509Certificate sign(final X509v3CertificateBuilder builder, final KeyPair issuer) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(builder.build(
                new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate())));
    }

    private static byte[] pem(final String type, final byte[] der) {
        return ("-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static BigInteger serial() {
        return new BigInteger(1, random(16));
    }

    private static byte[] random(final int n) {
        final byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }
}
