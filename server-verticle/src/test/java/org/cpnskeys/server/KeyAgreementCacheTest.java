package org.cpnskeys.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;

import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.X25519;
import org.cpnskeys.protocol.crypto.X25519PublicKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class KeyAgreementCacheTest {
    private static String hex(final SecretBytes s) {
        return HexFormat.of().formatHex(s.reveal());
    }

    @Test
    void agree_sameRequesterKeyWithinWindow_sameServerKeyAndSecretAsTheRequesterComputes(final Vertx vertx,
            final VertxTestContext ctx) {
        final KeyAgreementCache cache = new KeyAgreementCache(vertx, Duration.ofMinutes(1), 10, new ManualClock());
        final X25519.EphemeralKeyPair requester = X25519.generate();
        cache.agree(requester.publicKey())
                .compose(a -> cache.agree(requester.publicKey()).map(b -> new KeyAgreementCache.Agreement[] {a, b}))
                .onComplete(ctx.succeeding(ab -> ctx.verify(() -> {
                    assertEquals(ab[0].serverEpk(), ab[1].serverEpk());
                    assertEquals(hex(ab[0].shared()), hex(ab[1].shared()));
                    try (SecretBytes mine = requester.agree(ab[0].serverEpk())) {
                        assertEquals(hex(mine), hex(ab[0].shared()));
                    }
                    ctx.completeNow();
                })));
    }

    @Test
    void rotateIfDue_afterTheWindow_newServerKeyAndOldSecretsZeroed(final Vertx vertx, final VertxTestContext ctx) {
        final ManualClock clock = new ManualClock();
        final KeyAgreementCache cache = new KeyAgreementCache(vertx, Duration.ofMinutes(1), 10, clock);
        final X25519PublicKey requester = X25519.generate().publicKey();
        final X25519PublicKey first = cache.currentPublicKey();
        cache.agree(requester).compose(a -> {
            clock.advance(Duration.ofSeconds(61));
            cache.rotateIfDue();
            return cache.agree(requester).map(b -> new KeyAgreementCache.Agreement[] {a, b});
        }).onComplete(ctx.succeeding(ab -> ctx.verify(() -> {
            assertEquals(first, ab[0].serverEpk());
            assertNotEquals(first, ab[1].serverEpk());
            assertNotEquals(hex(ab[0].shared()), hex(ab[1].shared()));
            ctx.completeNow();
        })));
    }

    @Test
    void agree_lowOrderRequesterKey_fails(final Vertx vertx, final VertxTestContext ctx) {
        final KeyAgreementCache cache = new KeyAgreementCache(vertx, Duration.ofMinutes(1), 10, new ManualClock());
        cache.agree(X25519PublicKey.of(new byte[32])).onComplete(ctx.failing(e -> ctx.verify(() -> {
            assertTrue(e.getMessage().contains("all zero"), e.getMessage());
            ctx.completeNow();
        })));
    }

    @Test
    void agree_moreRequestersThanTheBound_stillAgreesWithEach(final Vertx vertx, final VertxTestContext ctx) {
        final KeyAgreementCache cache = new KeyAgreementCache(vertx, Duration.ofMinutes(1), 2, new ManualClock());
        final X25519.EphemeralKeyPair[] requesters = {X25519.generate(), X25519.generate(), X25519.generate()};
        Future<?> chain = Future.succeededFuture();
        for (int round = 0; round < 2; round++) {
            for (final X25519.EphemeralKeyPair r : requesters) {
                chain = chain.compose(x -> cache.agree(r.publicKey()).map(a -> {
                    try (SecretBytes mine = r.agree(a.serverEpk())) {
                        assertEquals(hex(mine), hex(a.shared()));
                    } catch (java.security.GeneralSecurityException e) {
                        throw new AssertionError(e);
                    }
                    return a;
                }));
            }
        }
        chain.onComplete(ctx.succeedingThenComplete());
    }
}
