package org.cpnskeys.server;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.vertx.core.Future;

/** Waiting for a future from a test thread (never an event loop), at most 10 seconds. */
public final class TestFutures {
    private TestFutures() {
    }

    /** The future's result; its failure as thrown; an {@link AssertionError} after 10 s. */
    public static <T> T await(final Future<T> future) {
        try {
            return future.await(10, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("no answer in 10 s", e);
        }
    }
}
