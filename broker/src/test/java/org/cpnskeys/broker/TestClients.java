package org.cpnskeys.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.lifecycle.MqttClientDisconnectedContext;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientBuilder;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAck;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** MQTT 5 test clients (hivemq-mqtt-client) that are all disconnected by {@link #closeAll()}. */
final class TestClients {
    static final Duration WAIT = Duration.ofSeconds(10);

    private final List<Mqtt5AsyncClient> clients = new ArrayList<>();

    /** A client and what happens to it. */
    static final class Client {
        final Mqtt5AsyncClient mqtt;
        final CompletableFuture<MqttClientDisconnectedContext> disconnected;
        final BlockingQueue<Mqtt5Publish> inbox = new LinkedBlockingQueue<>();

        Client(final Mqtt5AsyncClient mqtt, final CompletableFuture<MqttClientDisconnectedContext> disconnected) {
            this.mqtt = mqtt;
            this.disconnected = disconnected;
        }

        Mqtt5ConnAck connect() {
            return await(mqtt.connect());
        }

        Mqtt5ConnAck connect(final String user, final String password) {
            return await(mqtt.connectWith().simpleAuth().username(user)
                    .password(password.getBytes(StandardCharsets.UTF_8)).applySimpleAuth().send());
        }

        /** Subscribes, collecting messages into {@link #inbox}; completes with the SUBACK or its failure. */
        CompletableFuture<Mqtt5SubAck> subscribe(final String filter) {
            return mqtt.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE)
                    .callback(inbox::add).send();
        }

        CompletableFuture<?> publish(final String topic, final String payload) {
            return mqtt.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE)
                    .payload(payload.getBytes(StandardCharsets.UTF_8)).send();
        }

        /** The next message, waiting at most {@link #WAIT}. */
        Mqtt5Publish next() throws InterruptedException {
            final Mqtt5Publish message = inbox.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (message == null) {
                throw new AssertionError("no message within " + WAIT);
            }
            return message;
        }

        /** Waits until the broker has closed this client's connection and returns why. */
        Throwable awaitDisconnect() {
            return await(disconnected).getCause();
        }
    }

    Client tcp(final int port, final String clientId) {
        return build(MqttClient.builder().useMqttVersion5().identifier(clientId)
                .serverHost("127.0.0.1").serverPort(port));
    }

    /** A TLS client trusting {@code pki}'s CA, presenting {@code certificate} when not null. */
    Client tls(final int port, final String clientId, final TestPki pki, final TestPki.Issued certificate) {
        final Mqtt5ClientBuilder builder = MqttClient.builder().useMqttVersion5().identifier(clientId)
                .serverHost("localhost").serverPort(port);
        final var ssl = builder.sslConfig().trustManagerFactory(pki.trustManagerFactory())
                .protocols(List.of("TLSv1.3"));
        if (certificate != null) {
            ssl.keyManagerFactory(certificate.keyManagerFactory());
        }
        return build(ssl.applySslConfig());
    }

    private Client build(final Mqtt5ClientBuilder builder) {
        final CompletableFuture<MqttClientDisconnectedContext> disconnected = new CompletableFuture<>();
        final Mqtt5AsyncClient mqtt = builder.addDisconnectedListener(disconnected::complete).buildAsync();
        synchronized (clients) {
            clients.add(mqtt);
        }
        return new Client(mqtt, disconnected);
    }

    void closeAll() {
        final List<CompletableFuture<Void>> pending = new ArrayList<>();
        synchronized (clients) {
            for (final Mqtt5AsyncClient client : clients) {
                if (client.getState().isConnected()) {
                    pending.add(client.disconnect().exceptionally(error -> null));
                }
            }
            clients.clear();
        }
        await(CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])));
    }

    static <T> T await(final CompletableFuture<T> future) {
        try {
            return future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException) {
                throw (RuntimeException) e.getCause();
            }
            throw new AssertionError(e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("no answer within " + WAIT, e);
        }
    }

    /** Asserts the connection attempt is refused with NOT_AUTHORIZED in the CONNACK. */
    static void assertNotAuthorized(final Runnable connect) {
        final Mqtt5ConnAckException refused = assertThrows(Mqtt5ConnAckException.class, connect::run);
        assertEquals(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED, refused.getMqttMessage().getReasonCode());
    }

    /** Asserts the connection fails before any CONNACK (for example in the TLS handshake). */
    static Throwable assertConnectionFails(final Runnable connect) {
        final RuntimeException failure = assertThrows(RuntimeException.class, connect::run);
        if (failure instanceof Mqtt5ConnAckException) {
            throw new AssertionError("expected a transport failure, got a CONNACK", failure);
        }
        return failure;
    }

    /** Asserts the SUBACK refuses the subscription with NOT_AUTHORIZED; the client stays connected. */
    static void assertSubscribeRefused(final Client client, final String filter) {
        final CompletableFuture<Mqtt5SubAck> suback = client.subscribe(filter);
        Mqtt5SubAck ack;
        try {
            ack = await(suback);
        } catch (Mqtt5SubAckException refused) {
            ack = refused.getMqttMessage();
        }
        assertEquals(List.of(Mqtt5SubAckReasonCode.NOT_AUTHORIZED), ack.getReasonCodes());
        assertTrue(client.mqtt.getState().isConnected(), "a refused SUBSCRIBE leaves the client connected");
    }

    /** Asserts the broker disconnects the client with NOT_AUTHORIZED (what HiveMQ does to a denied PUBLISH). */
    static void assertDisconnectedNotAuthorized(final Client client) {
        final Throwable cause = client.awaitDisconnect();
        final Mqtt5DisconnectException disconnect = assertInstanceOf(Mqtt5DisconnectException.class, cause);
        assertEquals(Mqtt5DisconnectReasonCode.NOT_AUTHORIZED, disconnect.getMqttMessage().getReasonCode());
    }

    static String text(final Mqtt5Publish message) {
        return new String(message.getPayloadAsBytes(), StandardCharsets.UTF_8);
    }
}
