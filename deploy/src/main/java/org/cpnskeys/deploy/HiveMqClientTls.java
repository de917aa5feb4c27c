package org.cpnskeys.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;

import javax.net.ssl.TrustManagerFactory;

import com.hivemq.client.mqtt.MqttClientSslConfig;

import org.cpnskeys.protocol.tls.Pem;

/**
 * TLS for the HiveMQ MQTT client (the bench's simulated gateways and echo server, the tests' raw clients): trust
 * exactly the given CA, TLS 1.3 and 1.2. Host name verification is the client's default: with no
 * {@code hostnameVerifier} set, hivemq-mqtt-client 1.3.7 sets the endpoint identification algorithm to HTTPS
 * (checked in its {@code MqttSslInitializer}), unlike vertx-mqtt (see {@code MqttConnection}).
 */
public final class HiveMqClientTls {
    private HiveMqClientTls() {
    }

    /** Trusts the CA certificate(s) in {@code caPem}. */
    public static MqttClientSslConfig trusting(final String caPem) {
        try {
            final List<X509Certificate> cas = Pem.parseCertificates(caPem.getBytes(StandardCharsets.US_ASCII), "CA");
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < cas.size(); i++) {
                store.setCertificateEntry("ca-" + i, cas.get(i));
            }
            final TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            return MqttClientSslConfig.builder().trustManagerFactory(tmf).protocols(List.of("TLSv1.3", "TLSv1.2"))
                    .build();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot use the CA for TLS: " + e.getMessage(), e);
        }
    }
}
