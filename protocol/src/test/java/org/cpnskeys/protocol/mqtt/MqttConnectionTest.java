package org.cpnskeys.protocol.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link MqttConnection} against an in-process vertx-mqtt {@code MqttServer} endpoint. Every call into the
 * connection is made on one Vert.x context, as the class requires.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MqttConnectionTest {
    private static final String REPLIES = "cpns/pan/pne-1/+";
    private static final String EXTRA = "cpns/pan/pne-1/extra";

    private FakeBroker broker;
    private int port;
    private Context client;

    @BeforeEach
    void startBroker(final Vertx vertx, final VertxTestContext ctx) {
        broker = new FakeBroker(vertx, filter -> filter.contains("forbidden"));
        client = vertx.getOrCreateContext();
        broker.start().onComplete(ctx.succeeding(p -> {
            port = p;
            ctx.completeNow();
        }));
    }

    @AfterEach
    void stopBroker(final VertxTestContext ctx) {
        broker.stop().onComplete(ctx.succeedingThenComplete());
    }

    private MqttConnection connection(final Vertx vertx) {
        return MqttConnection.create(vertx, MqttEndpoint.plain("127.0.0.1", port, null, null), "pne-1");
    }

    /** Runs a step on the connection's context and returns its future there. */
    private <T> Future<T> onClient(final java.util.function.Supplier<Future<T>> step) {
        final Promise<T> p = Promise.promise();
        client.runOnContext(v -> {
            try {
                step.get().onComplete(p);
            } catch (RuntimeException e) {
                p.fail(e);
            }
        });
        return p.future();
    }

    @Test
    void publish_beforeStart_failsFutureWithoutThrowing(final Vertx vertx, final VertxTestContext ctx) {
        client.runOnContext(v -> ctx.verify(() -> {
            final MqttConnection c = connection(vertx);
            final Future<Void> f = c.publish("cpns/pan/pne-1/key-request", Buffer.buffer("{}"));
            assertTrue(f.failed());
            assertInstanceOf(IllegalStateException.class, f.cause());
            assertFalse(c.isConnected());
            assertEquals(0, broker.connects());
            ctx.completeNow();
        }));
    }

    @Test
    void connection_serverDropsEndpoint_reconnectsResubscribesAndDelivers(final Vertx vertx,
            final VertxTestContext ctx) {
        final List<Boolean> states = new CopyOnWriteArrayList<>();
        final List<String> inbound = new CopyOnWriteArrayList<>();
        final List<Future<Void>> publishWhileDown = new CopyOnWriteArrayList<>();
        final MqttConnection[] conn = new MqttConnection[1];

        onClient(() -> {
            conn[0] = connection(vertx);
            conn[0].onStateChange(up -> {
                states.add(up);
                if (!up) {
                    // Called on the connection's context right after the loss: publishing must fail, not throw.
                    publishWhileDown.add(conn[0].publish("cpns/pan/pne-1/key-request", Buffer.buffer("{}")));
                }
            });
            // subscribed before connecting: made on connect
            final Future<Void> early = conn[0].subscribe(REPLIES, in -> inbound.add(in.topic() + " "
                    + in.payload().toString(StandardCharsets.UTF_8)));
            ctx.verify(() -> assertTrue(early.succeeded()));
            return conn[0].start();
        }).compose(v -> {
            ctx.verify(() -> {
                assertEquals(1, broker.connects());
                assertEquals(1, broker.subscribeCount(REPLIES), "SUBSCRIBE sent and granted before start completes");
            });
            return onClient(() -> conn[0].subscribe(EXTRA, in -> { }));
        }).compose(v -> {
            ctx.verify(() -> assertEquals(1, broker.subscribeCount(EXTRA)));
            return onClient(() -> conn[0].subscribe("cpns/forbidden", in -> { })).transform(ar -> {
                ctx.verify(() -> assertTrue(ar.failed(), "a refused subscription fails its future"));
                return Future.<Void>succeededFuture();
            });
        }).compose(v -> {
            // QoS 1: the publish completes only after the PUBACK
            final Future<FakeBroker.Received> received = broker.nextPublish();
            return onClient(() -> Future.succeededFuture(
                    conn[0].publish("cpns/pan/pne-1/key-request", Buffer.buffer("{\"n\":1}"))))
                    .compose(publish -> received.compose(r -> onClient(() -> {
                        ctx.verify(() -> {
                            assertEquals(MqttQoS.AT_LEAST_ONCE, r.message().qosLevel());
                            assertEquals("cpns/pan/pne-1/key-request", r.message().topicName());
                            assertFalse(publish.isComplete(), "completed before the PUBACK");
                        });
                        r.acknowledge();
                        return publish;
                    })));
        }).compose(v -> {
            // the server drops the client: it reconnects by itself and re-subscribes every filter
            final Future<Void> again = Future.all(broker.awaitSubscribe(REPLIES, 2), broker.awaitSubscribe(EXTRA, 2))
                    .mapEmpty();
            broker.closeAll();
            return again;
        }).compose(v -> onClient(() -> {
            ctx.verify(() -> {
                assertEquals(2, broker.connects());
                assertEquals(1, publishWhileDown.size());
                assertTrue(publishWhileDown.get(0).failed());
            });
            // the same handler still receives messages after the reconnect
            broker.publishToClients("cpns/pan/pne-1/key-delivery", Buffer.buffer("hello"));
            return Future.succeededFuture();
        })).compose(v -> waitFor(vertx, () -> !inbound.isEmpty() && states.size() >= 3))
                .compose(v -> onClient(() -> {
                    ctx.verify(() -> {
                        assertEquals(List.of(true, false, true), states.subList(0, 3));
                        assertEquals("cpns/pan/pne-1/key-delivery hello", inbound.get(0));
                        assertTrue(conn[0].isConnected());
                    });
                    return conn[0].publish("cpns/pan/pne-1/key-request", Buffer.buffer("{\"n\":2}"));
                }))
                .compose(v -> onClient(() -> conn[0].stop()))
                .onComplete(ctx.succeedingThenComplete());
    }

    /**
     * Verifies that a publish the broker never acknowledges fails once the acknowledgement timeout passed (one
     * sweep per connection, no timer per publish), that the connection is then renewed, and that a publish
     * over the new connection completes on its PUBACK.
     */
    @Test
    void publish_brokerNeverAcknowledges_failsAfterTimeoutAndReconnects(final Vertx vertx,
            final VertxTestContext ctx) {
        final MqttConnection[] conn = new MqttConnection[1];
        final Future<FakeBroker.Received> ignored = broker.nextPublish();
        onClient(() -> {
            conn[0] = MqttConnection.create(vertx, MqttEndpoint.plain("127.0.0.1", port, null, null), "pne-1",
                    java.time.Duration.ofMillis(600));
            return conn[0].start();
        }).compose(v -> onClient(() -> conn[0].publish("cpns/pan/pne-1/key-request", Buffer.buffer("{\"n\":1}"))))
                .transform(ar -> {
                    ctx.verify(() -> {
                        assertTrue(ar.failed(), "an unacknowledged publish must fail");
                        assertTrue(ar.cause().getMessage().contains("did not acknowledge"), ar.cause().getMessage());
                        assertTrue(ignored.isComplete(), "the broker received the publish");
                    });
                    return waitFor(vertx, () -> broker.connects() == 2 && conn[0].isConnected());
                })
                .compose(v -> onClient(() -> conn[0].publish("cpns/pan/pne-1/key-request", Buffer.buffer("{\"n\":2}"))))
                .compose(v -> onClient(() -> conn[0].stop()))
                .onComplete(ctx.succeedingThenComplete());
    }

    /** Polls a condition on a periodic timer (no sleeping); the class timeout bounds it. */
    private static Future<Void> waitFor(final Vertx vertx, final java.util.function.BooleanSupplier condition) {
        final Promise<Void> p = Promise.promise();
        if (condition.getAsBoolean()) {
            p.complete();
            return p.future();
        }
        vertx.setPeriodic(10, id -> {
            if (condition.getAsBoolean()) {
                vertx.cancelTimer(id);
                p.tryComplete();
            }
        });
        return p.future();
    }
}
