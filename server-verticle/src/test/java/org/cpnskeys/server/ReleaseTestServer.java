package org.cpnskeys.server;

import static org.cpnskeys.server.TestFutures.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Optional;

import io.vertx.core.Vertx;

import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyRelease;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.StatusReport;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.X25519;
import org.cpnskeys.server.auth.AttemptGate;
import org.cpnskeys.server.auth.AttemptPolicy;
import org.cpnskeys.server.auth.DigestRealm;
import org.cpnskeys.server.auth.HtdigestFile;
import org.cpnskeys.server.auth.NonceService;
import org.cpnskeys.server.seal.SealSet;
import org.cpnskeys.server.seal.StoredKeySealer;
import org.cpnskeys.server.store.SqliteEuKeyRepository;

/**
 * A server's two decision services, {@link KeyAssignmentService} and {@link KeyReleaseService}, as the server
 * builds them (one store, one {@link AttemptGate}, one nonce service): a real SQLite store, a real htdigest
 * realm, real nonces and key agreement, a clock the test moves; no broker. The test plays the PN GW with the
 * protocol's own client code.
 */
final class ReleaseTestServer implements AutoCloseable {
    static final String REALM = "cpns-0123456789abcdef";
    static final GatewayId GW = GatewayId.of("home-gw");
    static final UserId ALICE = UserId.of("alice");
    static final UserId BOB = UserId.of("bob");
    static final char[] ALICE_PASSWORD = "alice-password".toCharArray();
    static final char[] BOB_PASSWORD = "bob-password".toCharArray();
    static final Duration NONCE_LIFETIME = Duration.ofMinutes(5);
    /** Three failures lock a pair out for 15 minutes. */
    static final AttemptPolicy POLICY = new AttemptPolicy(3, 50, 10, Duration.ofMinutes(15),
            Duration.ofSeconds(1), Duration.ofMinutes(15));

    final ManualClock clock = new ManualClock();
    final SqliteEuKeyRepository store;
    final NonceService nonces;
    final KeyAssignmentService keys;
    final KeyReleaseService releases;
    private final DigestRealm users;
    private final KeyAgreementCache agreements;
    private int requests;

    ReleaseTestServer(final Vertx vertx, final Path dir) throws Exception {
        final Path htdigest = dir.resolve("users.htdigest");
        HtdigestFile.addOrReplace(htdigest, ALICE, REALM, ALICE_PASSWORD);
        HtdigestFile.addOrReplace(htdigest, BOB, REALM, BOB_PASSWORD);
        users = await(DigestRealm.load(vertx, htdigest, REALM));
        store = await(SqliteEuKeyRepository.open(vertx, dir.resolve("eukeys.db")));
        nonces = new NonceService(SecretBytes.adopt(random(32)), NONCE_LIFETIME, clock);
        final StoredKeySealer sealer = new StoredKeySealer(SealSet.masterKeyFile(SecretBytes.adopt(random(32))),
                StoredKeySealer.Listener.NONE);
        agreements = new KeyAgreementCache(vertx, KeyAgreementCache.DEFAULT_WINDOW, 100, clock);
        final AttemptGate gate = new AttemptGate(store, POLICY, clock);
        keys = new KeyAssignmentService(REALM, nonces, users, store, sealer, NONCE_LIFETIME, clock, gate,
                AuditLog.NONE, agreements);
        releases = new KeyReleaseService(REALM, nonces, users, store, gate, AuditLog.NONE);
    }

    @Override
    public void close() {
        agreements.close();
        await(users.close());
        await(store.close());
    }

    KeyRequest keyRequest(final EntityId entity, final UserId user) {
        return KeyRequest.proxy(RequestId.of("req-" + ++requests), entity, Optional.empty()).withUser(user);
    }

    KeyRelease release(final EntityId entity, final UserId user) {
        return KeyRelease.of(RequestId.of("rel-" + ++requests), entity, true, user);
    }

    CpnsMessage handle(final KeyRequest request) {
        return await(keys.handle(GW, request));
    }

    CpnsMessage handle(final KeyRelease release) {
        return await(releases.handle(GW, release));
    }

    /** The request answered with {@code password} for a fresh challenge, nonce count 1. */
    KeyRequest answered(final KeyRequest request, final UserId user, final char[] password) {
        final String nonce = assertInstanceOf(Challenge.class, handle(request)).nonce();
        return DigestClient.answer(request, user.value(), DigestClient.ha1(user.value(), REALM, password), REALM,
                X25519.generate().publicKey(), nonce, DigestClient.nc(1), DigestClient.cnonce());
    }

    /** The release answered with {@code password} for a fresh challenge, nonce count 1. */
    KeyRelease answered(final KeyRelease release, final UserId user, final char[] password) {
        final String nonce = assertInstanceOf(Challenge.class, handle(release)).nonce();
        return DigestClient.answer(release, user.value(), DigestClient.ha1(user.value(), REALM, password), REALM,
                nonce, DigestClient.nc(1), DigestClient.cnonce());
    }

    /** Assigns a key of {@code entity} to {@code user}; returns the delivery. */
    KeyDelivery assign(final EntityId entity, final UserId user, final char[] password) {
        final KeyDelivery d = assertInstanceOf(KeyDelivery.class,
                handle(answered(keyRequest(entity, user), user, password)));
        assertEquals(Status.OK, d.status(), () -> "refused: " + d.reason().orElse(""));
        return d;
    }

    static StatusReport assertStatus(final CpnsMessage reply, final int status) {
        final StatusReport s = assertInstanceOf(StatusReport.class, reply);
        assertEquals(status, s.status(), () -> "status " + s.status() + ": " + s.reason());
        return s;
    }

    private static byte[] random(final int n) {
        final byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }
}
