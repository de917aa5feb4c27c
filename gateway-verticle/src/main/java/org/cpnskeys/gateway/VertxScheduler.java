package org.cpnskeys.gateway;

import java.time.Duration;
import java.time.Instant;

import io.vertx.core.Context;
import io.vertx.core.Vertx;

import org.cpnskeys.gateway.keys.GatewayScheduler;

/** A gateway instance's time and thread: the system clocks and Vert.x timers, on the instance's event loop. */
final class VertxScheduler implements GatewayScheduler {
    private final Vertx vertx;
    private final Context context;

    VertxScheduler(final Vertx vertx, final Context context) {
        this.vertx = vertx;
        this.context = context;
    }

    @Override
    public Instant now() {
        return Instant.now();
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public long schedule(final Duration delay, final Runnable task) {
        return vertx.setTimer(Math.max(1, delay.toMillis()), t -> task.run());
    }

    @Override
    public void cancel(final long timer) {
        vertx.cancelTimer(timer);
    }

    @Override
    public void execute(final Runnable task) {
        if (Vertx.currentContext() == context) {
            task.run();
        } else {
            context.runOnContext(v -> task.run());
        }
    }
}
