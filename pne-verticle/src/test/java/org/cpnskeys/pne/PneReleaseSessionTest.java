package org.cpnskeys.pne;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Promise;

import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.DigestAuthorization;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyRelease;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.StatusReport;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A PNE with UI's own release (PROTOCOL.md 6.3) without MQTT: the digest answer with the method KEY-RELEASE, and
 * its stored EUKey deleted only once the server confirmed.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class PneReleaseSessionTest {
    private static final String REALM = "cpns-0123456789abcdef";
    private static final EntityId ENTITY = EntityId.of("phone-1");
    private static final UserId ALICE = UserId.of("alice");
    private static final char[] PASSWORD = "alice-password".toCharArray();

    @TempDir
    Path dir;

    private final List<KeyRelease> sent = new ArrayList<>();
    private final Promise<PneOutcome> outcome = Promise.promise();
    private Path keyStore;
    private PneReleaseSession session;

    @BeforeEach
    void storedKey() throws Exception {
        keyStore = dir.resolve("phone-1-eukey.p12");
        try (SecretBytes key = SecretBytes.copyOf(new byte[32])) {
            EuKeyStore.store(keyStore, "pw".toCharArray(), ENTITY, key);
        }
        session = new PneReleaseSession(new PneSession.Settings(ENTITY, Optional.of(LoginPrompt.fixed(ALICE, PASSWORD)),
                Optional.empty(), Optional.empty(), Duration.ofSeconds(5), 3), RequestId.of("rel-1"), port(), outcome);
        session.start();
    }

    /** Records what is sent; deletes the stored EUKey when asked. */
    private PneReleaseSession.Port port() {
        return new PneReleaseSession.Port() {
            @Override
            public void send(final KeyRelease release) {
                sent.add(release);
            }

            @Override
            public void schedule(final long delayMs, final Runnable action) {
            }

            @Override
            public void cancel() {
            }

            @Override
            public Future<String> forget() {
                try {
                    EuKeyStore.delete(keyStore);
                    return Future.succeededFuture(keyStore.toString());
                } catch (java.io.IOException e) {
                    return Future.failedFuture(e);
                }
            }
        };
    }

    private KeyRelease challengedAndAnswered() {
        final KeyRelease first = sent.get(0);
        assertTrue(!first.proxy() && first.userId().equals(Optional.of(ALICE)) && first.authorization().isEmpty());
        session.onMessage(new Challenge(first.requestId(), ENTITY, REALM, "bm9uY2UtMQ", false));
        return sent.get(sent.size() - 1);
    }

    @Test
    void challenge_answeredWithTheUsersPasswordAndTheMethodKeyRelease() {
        final DigestAuthorization auth = challengedAndAnswered().authorization().orElseThrow();
        assertEquals("cpns:key-release:phone-1:rel-1", auth.uri());
        assertEquals(DigestClient.response(DigestClient.ha1("alice", REALM, PASSWORD), auth.nonce(), auth.nc(),
                auth.cnonce(), "auth", DigestClient.ha2(DigestClient.RELEASE_METHOD, auth.uri())), auth.response());
    }

    @Test
    void released_theStoredEuKeyIsDeletedThenSuccessReported() {
        challengedAndAnswered();
        assertTrue(Files.exists(keyStore));
        session.onMessage(StatusReport.of(Optional.of(RequestId.of("rel-1")), Optional.of(ENTITY), Status.OK,
                "released"));
        assertEquals(Status.OK, outcome.future().result().status());
        assertFalse(Files.exists(keyStore), "the EUKey is gone once the server released it");
    }

    @Test
    void refused_theStoredEuKeyIsKept() {
        challengedAndAnswered();
        session.onMessage(StatusReport.of(Optional.of(RequestId.of("rel-1")), Optional.of(ENTITY), Status.UNAUTHORIZED,
                "authentication failed"));
        assertEquals(Status.UNAUTHORIZED, outcome.future().result().status());
        assertTrue(Files.exists(keyStore), "nothing is deleted without the server's release");
    }

    @Test
    void aPneWithoutUi_cannotReleaseItself() {
        assertThrows(IllegalArgumentException.class, () -> new PneReleaseSession(new PneSession.Settings(ENTITY,
                Optional.empty(), Optional.empty(), Optional.empty(), Duration.ofSeconds(5), 3), RequestId.of("r"),
                port(), Promise.promise()));
        assertNotNull(session);
    }
}
