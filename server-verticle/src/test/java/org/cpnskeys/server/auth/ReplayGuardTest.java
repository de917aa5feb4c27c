package org.cpnskeys.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class ReplayGuardTest {

    @Test
    void firstUse_samePairTwice_trueThenFalse(final Vertx vertx, final VertxTestContext ctx) {
        final ReplayGuard guard = new ReplayGuard(vertx);
        final Duration ttl = Duration.ofMinutes(1);
        guard.firstUse("nonce-1", "00000001", ttl)
                .compose(first -> guard.firstUse("nonce-1", "00000001", ttl).map(second -> List.of(first, second)))
                .compose(r -> Future.all(guard.firstUse("nonce-1", "00000002", ttl),
                        guard.firstUse("nonce-2", "00000001", ttl), new ReplayGuard(vertx).firstUse("nonce-1", "00000001", ttl))
                        .map(more -> List.of(r.get(0), r.get(1), more.<Boolean>resultAt(0), more.<Boolean>resultAt(1),
                                more.<Boolean>resultAt(2))))
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    assertEquals(List.of(true, false, true, true, false), r);
                    ctx.completeNow();
                })));
    }
}
