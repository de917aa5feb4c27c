package org.cpnskeys.pne;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.trace.Tracing;

/** Runs one PNE's Key Request to its end: the only place that deploys PNE verticles. */
public final class PneApplication {
    private PneApplication() {
    }

    /** Deploys a PNE, waits for its outcome, and undeploys it. Fails only if the PNE could not start. */
    /** A PNE with UI releases its own EUKey (PROTOCOL.md 2.3) and deletes it once the server confirmed. */
    public static Future<PneOutcome> releaseKey(final Vertx vertx, final PneConfig config) {
        final Promise<PneOutcome> outcome = Promise.promise();
        return vertx.deployVerticle(new PneVerticle(config, new MessageCodec(), outcome, true))
                .compose(id -> outcome.future().compose(o -> vertx.undeploy(id).map(o).recover(e -> Future.succeededFuture(o))));
    }

    public static Future<PneOutcome> requestKey(final Vertx vertx, final PneConfig config) {
        return requestKey(vertx, config, Tracing.OFF);
    }

    /** {@link #requestKey(Vertx, PneConfig)}, the assignment traced with {@code tracing}. */
    public static Future<PneOutcome> requestKey(final Vertx vertx, final PneConfig config, final Tracing tracing) {
        final Promise<PneOutcome> outcome = Promise.promise();
        return vertx.deployVerticle(new PneVerticle(config, new MessageCodec(), outcome).tracedBy(tracing))
                .compose(id -> outcome.future().compose(o -> vertx.undeploy(id).map(o).recover(e -> Future.succeededFuture(o))));
    }
}
