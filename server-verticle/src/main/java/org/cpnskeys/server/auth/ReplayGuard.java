package org.cpnskeys.server.auth;

import java.time.Duration;
import java.util.Objects;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.AsyncMap;

/**
 * Single use of each (nonce, nc) pair, in the Vert.x shared async map {@value #MAP_NAME}: local in one process,
 * cluster-wide once Vert.x runs clustered. Entries expire after the given TTL, which must outlive the nonce.
 */
public final class ReplayGuard {
    /** The shared map holding the used (nonce, nc) pairs. */
    public static final String MAP_NAME = "cpns.digest.nc-used";

    private final Vertx vertx;
    private Future<AsyncMap<String, Boolean>> map;

    public ReplayGuard(final Vertx vertx) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
    }

    /** True the first time the pair is seen (and records it for {@code ttl}), false on every later call. */
    public Future<Boolean> firstUse(final String nonce, final String nc, final Duration ttl) {
        Objects.requireNonNull(nonce, "nonce");
        Objects.requireNonNull(nc, "nc");
        final long ttlMillis = Math.max(1, ttl.toMillis());
        return map().compose(m -> m.putIfAbsent(nonce + ":" + nc, Boolean.TRUE, ttlMillis))
                .map(previous -> previous == null);
    }

    private synchronized Future<AsyncMap<String, Boolean>> map() {
        if (map == null || map.failed()) {
            map = vertx.sharedData().getAsyncMap(MAP_NAME);
        }
        return map;
    }
}
