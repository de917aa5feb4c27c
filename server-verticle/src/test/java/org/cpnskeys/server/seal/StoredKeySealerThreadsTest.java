package org.cpnskeys.server.seal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.server.store.KeyState;
import org.cpnskeys.server.store.StoredKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Where {@link StoredKeySealer#sealOffLoop} and {@link StoredKeySealer#openOffLoop} run a seal called from an event
 * loop: a blocking seal (a PKCS#11 token) on a worker thread, never the event loop; an in-memory seal right there.
 */
class StoredKeySealerThreadsTest {
    private final Vertx vertx = Vertx.vertx();
    private final SecretBytes masterKey = SecretBytes.copyOf(new SecureRandom().generateSeed(32));
    private final KeyBinding binding = new KeyBinding(EntityId.of("pne-1"), KeyId.of("k1"), UserId.of("alice"),
            RequestId.of("r1"), GatewayId.of("gw"));
    private final byte[] euKey = new SecureRandom().generateSeed(32);

    @AfterEach
    void close() throws Exception {
        masterKey.destroy();
        vertx.close().await(20, TimeUnit.SECONDS);
    }

    /** Verifies that a blocking seal seals and opens on worker threads when asked from an event loop. */
    @Test
    void offLoop_blockingSealFromEventLoop_runsOnWorkerThreads() throws Exception {
        final ThreadRecordingSeal seal = new ThreadRecordingSeal(MasterKeySeal.v2(masterKey), true);
        final byte[] opened = roundTripOnEventLoop(seal);
        assertArrayEquals(euKey, opened);
        assertEquals(List.of(false, false), seal.onEventLoop, "seal and open off the event loop");
    }

    /** Verifies that an in-memory seal runs where it is called (no worker hop per key). */
    @Test
    void offLoop_inMemorySealFromEventLoop_runsInPlace() throws Exception {
        final ThreadRecordingSeal seal = new ThreadRecordingSeal(MasterKeySeal.v2(masterKey), false);
        assertArrayEquals(euKey, roundTripOnEventLoop(seal));
        assertEquals(List.of(true, true), seal.onEventLoop);
    }

    private byte[] roundTripOnEventLoop(final KeySeal seal) throws Exception {
        final StoredKeySealer sealer = new StoredKeySealer(new SealSet(seal, List.of()), StoredKeySealer.Listener.NONE);
        final Context loop = vertx.getOrCreateContext();
        assertTrue(loop.isEventLoopContext());
        final SecretBytes key = SecretBytes.copyOf(euKey);
        return Future.<byte[]>future(p -> loop.runOnContext(v -> sealer.sealOffLoop(key, binding, true, Instant.now())
                .compose(newKey -> {
                    final StoredKey stored = newKey.stored(KeyState.ACTIVE);
                    return sealer.openOffLoop(stored);
                })
                .map(opened -> {
                    try (opened) {
                        return opened.reveal();
                    }
                })
                .onComplete(p))).await(20, TimeUnit.SECONDS);
    }

    /** Another seal that records, per call, whether it ran on an event loop thread. */
    private static final class ThreadRecordingSeal extends ForwardingSeal {
        final List<Boolean> onEventLoop = new CopyOnWriteArrayList<>();
        private final boolean blocking;

        ThreadRecordingSeal(final KeySeal seal, final boolean blocking) {
            super(seal);
            this.blocking = blocking;
        }

        @Override
        public boolean blocking() {
            return blocking;
        }

        @Override
        public byte[] seal(final SecretBytes key, final KeyBinding b) {
            onEventLoop.add(Context.isOnEventLoopThread());
            return super.seal(key, b);
        }

        @Override
        public SecretBytes open(final byte[] sealed, final KeyBinding b) throws GeneralSecurityException {
            onEventLoop.add(Context.isOnEventLoopThread());
            return super.open(sealed, b);
        }
    }
}
