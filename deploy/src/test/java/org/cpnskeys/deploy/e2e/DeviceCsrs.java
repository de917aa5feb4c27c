package org.cpnskeys.deploy.e2e;

import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** Devices' certificate signing requests, as a device makes them: its own EC P-256 key, PEM. */
public final class DeviceCsrs {
    private DeviceCsrs() {
    }

    /** A PKCS#10 request (PEM) for {@code subject} (e.g. {@code CN=sensor-1}), signed by a fresh key. */
    public static byte[] csr(final String subject) throws Exception {
        final KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        final KeyPair k = g.generateKeyPair();
        final StringWriter w = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), k.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(k.getPrivate())));
        }
        return w.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
