package org.cpnskeys.bench;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.TrustManagerFactory;

/**
 * Opens N idle gateway-like connections to a cloud broker (MQTT 3.1.1 over TLS, as the gateway's Vert.x client;
 * user name and client id {@code PREFIX<i>}, password {@code TOKEN<i>}, the three reply subscriptions of the
 * topic layout in use) and keeps them open until standard input closes, so that the broker's memory can be read
 * before and after (docs/SCALING.md, "Memory per idle gateway connection").
 *
 * <pre>java -cp ... org.cpnskeys.bench.IdleConnections HOST PORT CA.pem COUNT PREFIX TOKEN [REPLY-TOPIC-FORMAT]</pre>
 *
 * REPLY-TOPIC-FORMAT is a {@link String#format} pattern with {@code %1$s} for the Gateway ID and {@code %2$s} for
 * the reply leaf (default {@code cpns/cloud/%1$s/%2$s}). At most 64 handshakes run at once.
 */
public final class IdleConnections {
    private static final List<String> LEAVES = List.of("challenge", "key-delivery", "status");

    private IdleConnections() {
    }

    public static void main(final String[] args) throws Exception {
        if (args.length < 6) {
            System.err.println("usage: IdleConnections HOST PORT CA.pem COUNT PREFIX TOKEN [REPLY-TOPIC-FORMAT]");
            System.exit(2);
        }
        final String host = args[0];
        final int port = Integer.parseInt(args[1]);
        final MqttClientSslConfig tls = trusting(Path.of(args[2]));
        final int count = Integer.parseInt(args[3]);
        final String prefix = args[4];
        final String token = args[5];
        final String format = args.length > 6 ? args[6] : "cpns/cloud/%1$s/%2$s";
        final Semaphore handshakes = new Semaphore(64);
        final List<Mqtt3AsyncClient> clients = new ArrayList<>();
        final List<CompletableFuture<?>> connected = new ArrayList<>();
        final long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            final String id = prefix + i;
            final Mqtt3AsyncClient client = MqttClient.builder().useMqttVersion3().identifier(id).serverHost(host)
                    .serverPort(port).sslConfig(tls).simpleAuth().username(id)
                    .password((token + i).getBytes(StandardCharsets.US_ASCII)).applySimpleAuth().buildAsync();
            clients.add(client);
            handshakes.acquire();
            CompletableFuture<?> done = client.connectWith().cleanSession(true).keepAlive(60).send()
                    .thenCompose(ack -> CompletableFuture.allOf(LEAVES.stream().map(leaf -> client.subscribeWith()
                            .topicFilter(String.format(format, id, leaf)).qos(MqttQos.AT_LEAST_ONCE).send())
                            .toArray(CompletableFuture[]::new)));
            done = done.whenComplete((ok, failure) -> handshakes.release());
            connected.add(done);
        }
        int failed = 0;
        for (final CompletableFuture<?> c : connected) {
            try {
                c.get(120, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                failed++;
            }
        }
        System.out.printf("CONNECTED %d of %d in %.1f s (%d failed); close stdin to disconnect%n", count - failed,
                count, (System.nanoTime() - start) / 1e9, failed);
        while (System.in.read() >= 0) {
            // wait for end of input
        }
        clients.forEach(c -> c.disconnect());
    }

    private static MqttClientSslConfig trusting(final Path caPem) throws Exception {
        final KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(caPem)) {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        final TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        return MqttClientSslConfig.builder().trustManagerFactory(tmf).protocols(List.of("TLSv1.3", "TLSv1.2"))
                .build();
    }
}
