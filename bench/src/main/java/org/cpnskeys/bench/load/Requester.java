package org.cpnskeys.bench.load;

import java.util.concurrent.CompletableFuture;

import org.cpnskeys.protocol.RequestId;

/** One request of the load: slot {@code slot} sends request {@code id}; completes with the answer's status. */
@FunctionalInterface
interface Requester {
    CompletableFuture<Integer> request(int slot, RequestId id);
}
