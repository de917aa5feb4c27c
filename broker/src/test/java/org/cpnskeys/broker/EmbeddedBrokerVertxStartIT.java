package org.cpnskeys.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link EmbeddedBroker#start(Vertx)} from Vert.x code: the blocking part of start-up (folders, port probe, name
 * look-up, config.xml, building HiveMQ) runs off the caller's event loop, which stays free meanwhile, and the start
 * completes on the caller's own context, not on a HiveMQ thread.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EmbeddedBrokerVertxStartIT {
    /** The cloud broker's rules with no known server or gateway: lets nobody in (these tests only start brokers). */
    private static final BrokerAccessPolicy NOBODY = new CloudAccessPolicy(HashedSecrets.of(Map.of()),
            HashedSecrets.of(Map.of()));

    @TempDir
    Path folder;

    private EmbeddedBroker broker;

    /** Where and how the blocking part of start-up ran. */
    private record StartUp(Thread thread, boolean onEventLoop, boolean onWorker, boolean callerLoopFree) {
    }

    @AfterEach
    void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    private EmbeddedBroker broker(final String name, final int port, final Runnable probe) {
        return EmbeddedBroker.createProbed(BrokerConfig.of(folder.resolve(name),
                Optional.of(TcpListenerConfig.loopback(port)), Optional.empty()), NOBODY, probe);
    }

    /** A probe that records its thread and whether {@code caller}'s event loop can run a task while it blocks. */
    private static Runnable recording(final AtomicReference<Context> caller, final AtomicReference<StartUp> seen) {
        return () -> {
            final CountDownLatch ran = new CountDownLatch(1);
            caller.get().runOnContext(v -> ran.countDown());
            boolean free;
            try {
                free = ran.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                free = false;
            }
            seen.set(new StartUp(Thread.currentThread(), Context.isOnEventLoopThread(), Context.isOnWorkerThread(),
                    free));
        };
    }

    @Test
    void start_calledOnEventLoop_blocksOnlyAWorkerAndCompletesOnTheCallersContext(final Vertx vertx,
            final VertxTestContext test) {
        final AtomicReference<Context> caller = new AtomicReference<>();
        final AtomicReference<StartUp> seen = new AtomicReference<>();
        broker = broker("probed", 0, recording(caller, seen));
        final Context context = vertx.getOrCreateContext();
        caller.set(context);
        context.runOnContext(v -> {
            final Thread eventLoop = Thread.currentThread();
            broker.start(vertx).onComplete(test.succeeding(ok -> test.verify(() -> {
                final StartUp startUp = seen.get();
                assertFalse(startUp.onEventLoop(), "the blocking part ran on an event loop: " + startUp.thread());
                assertTrue(startUp.onWorker(), "the blocking part ran on a Vert.x worker: " + startUp.thread());
                assertNotSame(eventLoop, startUp.thread());
                assertTrue(startUp.callerLoopFree(), "the caller's event loop ran other work during start-up");
                assertSame(context, Vertx.currentContext(), "start-up goes on in the caller's context");
                assertSame(eventLoop, Thread.currentThread(), "and on its event loop, not a HiveMQ thread");
                try (Socket probe = new Socket(InetAddress.getLoopbackAddress(), broker.tcpPort())) {
                    assertTrue(probe.isConnected(), "the broker listens when the future completes");
                }
                test.completeNow();
            })));
        });
    }

    @Test
    void start_fromTwoVerticles_oneStartUpEachCompletingInItsOwnContext(final Vertx vertx, final VertxTestContext test) {
        final AtomicReference<StartUp> seen = new AtomicReference<>();
        broker = broker("shared", 0, () -> {
            if (seen.getAndSet(new StartUp(Thread.currentThread(), Context.isOnEventLoopThread(),
                    Context.isOnWorkerThread(), true)) != null) {
                throw new AssertionError("start-up ran twice");
            }
        });
        final Map<Context, Context> completedIn = new ConcurrentHashMap<>();
        final class Starter extends VerticleBase {
            @Override
            public Future<?> start() {
                return broker.start(vertx).onSuccess(v -> completedIn.put(context, Vertx.currentContext()));
            }
        }
        Future.all(vertx.deployVerticle(new Starter()), vertx.deployVerticle(new Starter()))
                .onComplete(test.succeeding(both -> test.verify(() -> {
                    assertEquals(2, completedIn.size(), "two verticles, two contexts");
                    completedIn.forEach((own, current) -> assertSame(own, current, "completed in another context"));
                    assertFalse(seen.get().onEventLoop(), "the one start-up ran on " + seen.get().thread());
                    assertTrue(broker.tcpPort() > 0);
                    test.completeNow();
                })));
    }

    @Test
    void start_fixedPortTaken_failsOnTheCallersContextWithTheReason(final Vertx vertx, final VertxTestContext test)
            throws IOException {
        final ServerSocket taken = new ServerSocket();
        taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        broker = broker("clash", taken.getLocalPort(), () -> { });
        final Context context = vertx.getOrCreateContext();
        context.runOnContext(v -> broker.start(vertx).onComplete(test.failing(e -> test.verify(() -> {
            taken.close();
            assertInstanceOf(IllegalStateException.class, e);
            assertTrue(e.getMessage().contains("port 127.0.0.1:" + taken.getLocalPort() + " is not available"),
                    e.getMessage());
            assertSame(context, Vertx.currentContext());
            test.completeNow();
        }))));
    }

    @Test
    void startWithoutVertx_calledOnEventLoop_refusedBeforeAnyBlockingWork(final Vertx vertx,
            final VertxTestContext test) {
        final AtomicReference<Boolean> probed = new AtomicReference<>(false);
        broker = broker("refused", 0, () -> probed.set(true));
        vertx.getOrCreateContext().runOnContext(v -> broker.start().whenComplete((ok, e) -> test.verify(() -> {
            assertInstanceOf(IllegalStateException.class, e);
            assertTrue(e.getMessage().contains("start(vertx)"), e.getMessage());
            assertFalse(probed.get(), "no start-up work was done");
            test.completeNow();
        })));
    }
}
