package org.cpnskeys.server;

import static org.cpnskeys.server.TestFutures.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.DigestAuthorization;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.WrappedKey;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.EuKeyWrap;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.protocol.crypto.KeyCheckValue;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.X25519;
import org.cpnskeys.protocol.crypto.X25519PublicKey;
import org.cpnskeys.server.auth.AttemptGate;
import org.cpnskeys.server.auth.AttemptPolicy;
import org.cpnskeys.server.auth.DigestRealm;
import org.cpnskeys.server.auth.HtdigestFile;
import org.cpnskeys.server.auth.NonceService;
import org.cpnskeys.server.seal.SealSet;
import org.cpnskeys.server.seal.StoredKeySealer;
import org.cpnskeys.server.store.FailureStanding;
import org.cpnskeys.server.store.KeyInfo;
import org.cpnskeys.server.store.KeyState;
import org.cpnskeys.server.store.SqliteEuKeyRepository;
import org.cpnskeys.server.store.StoredKey;

/**
 * Each decision of {@link KeyAssignmentService}, constructed directly: a real SQLite store in a temporary folder,
 * a real htdigest realm, real nonces, seals and key agreement, a clock the test moves; no broker. The test plays
 * the PN GW acting as proxy with the protocol's own client code ({@link DigestClient}, {@link EuKeyWrap}).
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KeyAssignmentServiceTest {
    private static final String REALM = "cpns-0123456789abcdef";
    private static final GatewayId GW = GatewayId.of("home-gw");
    private static final UserId ALICE = UserId.of("alice");
    private static final UserId BOB = UserId.of("bob");
    private static final char[] ALICE_PASSWORD = "alice-password".toCharArray();
    private static final char[] BOB_PASSWORD = "bob-password".toCharArray();
    private static final EntityId PNE = EntityId.of("sensor-1");
    private static final Duration NONCE_LIFETIME = Duration.ofMinutes(5);
    /** Three failures lock a pair out for 15 minutes. */
    private static final AttemptPolicy POLICY = new AttemptPolicy(3, 50, 10, Duration.ofMinutes(15),
            Duration.ofSeconds(1), Duration.ofMinutes(15));

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();
    private NonceService nonces;
    private DigestRealm users;
    private SqliteEuKeyRepository store;
    private StoredKeySealer sealer;
    private KeyAgreementCache agreements;
    private KeyAssignmentService service;
    private final CountingMetrics metrics = new CountingMetrics();
    private int requests;
    private Vertx vertx;

    @BeforeEach
    void start(final Vertx vertx) throws Exception {
        this.vertx = vertx;
        final Path htdigest = dir.resolve("users.htdigest");
        HtdigestFile.addOrReplace(htdigest, ALICE, REALM, ALICE_PASSWORD);
        HtdigestFile.addOrReplace(htdigest, BOB, REALM, BOB_PASSWORD);
        users = await(DigestRealm.load(vertx, htdigest, REALM));
        store = await(SqliteEuKeyRepository.open(vertx, dir.resolve("eukeys.db")));
        nonces = new NonceService(SecretBytes.adopt(random(32)), NONCE_LIFETIME, clock);
        sealer = new StoredKeySealer(SealSet.masterKeyFile(SecretBytes.adopt(random(32))),
                StoredKeySealer.Listener.NONE);
        agreements = new KeyAgreementCache(vertx, KeyAgreementCache.DEFAULT_WINDOW, 100, clock);
        service = new KeyAssignmentService(REALM, nonces, users, store, sealer, NONCE_LIFETIME, clock,
                new AttemptGate(store, POLICY, clock), AuditLog.NONE, agreements);
        service.setMetrics(metrics);
    }

    /** Counts the lockouts and internal errors the service reports (the alert rules watch both). */
    private static final class CountingMetrics implements ServerMetrics {
        final java.util.concurrent.atomic.AtomicInteger lockouts = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicInteger internalErrors = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void lockedOut() {
            lockouts.incrementAndGet();
        }

        @Override
        public void internalError() {
            internalErrors.incrementAndGet();
        }
    }

    @AfterEach
    void stop() {
        agreements.close();
        await(users.close());
        await(store.close());
    }

    // ---- challenge (F5, R11) ----

    @Test
    void requestWithoutAnswer_challengedWithTheRealmAndAFreshNonceBoundToTheGateway() {
        final KeyRequest request = proxyRequest(PNE, ALICE);
        final Challenge first = challenge(request);
        final Challenge second = challenge(request);
        assertEquals(request.requestId(), first.requestId());
        assertEquals(PNE, first.entityId());
        assertEquals(REALM, first.realm());
        assertFalse(first.stale());
        assertNotEquals(first.nonce(), second.nonce(), "every challenge brings a new nonce");
        assertEquals(NonceService.Check.VALID, nonces.check(first.nonce(), GW));
        assertEquals(NonceService.Check.INVALID, nonces.check(first.nonce(), GatewayId.of("other-gw")),
                "a nonce is good only for the gateway it was issued to");
    }

    @Test
    void answerWithANonceOfAnotherGateway_challengedAgainNotStale() {
        final KeyRequest request = proxyRequest(PNE, ALICE);
        final Answer answer = answer(request, ALICE, ALICE_PASSWORD, REALM, nonces.issue(GatewayId.of("other-gw")), 1);
        final Challenge again = assertInstanceOf(Challenge.class, handle(answer.request()));
        assertFalse(again.stale());
        assertEquals(NonceService.Check.VALID, nonces.check(again.nonce(), GW));
        assertNoKey(PNE);
    }

    @Test
    void answerWithAnExpiredNonce_challengedAgainStale_andNotCountedAsAFailure() {
        final KeyRequest request = proxyRequest(PNE, ALICE);
        final Challenge challenge = challenge(request);
        clock.advance(NONCE_LIFETIME.plusSeconds(1));
        final Answer late = answer(request, ALICE, ALICE_PASSWORD, REALM, challenge.nonce(), 1);
        final Challenge again = assertInstanceOf(Challenge.class, handle(late.request()));
        assertTrue(again.stale(), "stale=true: the answer was right, only the nonce is too old");
        assertNotEquals(challenge.nonce(), again.nonce());
        assertNoFailures(ALICE);
        assertDelivered(handle(answer(request, ALICE, ALICE_PASSWORD, REALM, again.nonce(), 1).request()));
    }

    // ---- authentication (R9-R11) ----

    @Test
    void rightAnswer_keyCreatedStoredWithEntityAndUser_andWrappedForTheRequesterOnly() throws Exception {
        final KeyRequest request = proxyRequest(PNE, ALICE);
        final Answer answer = answer(request, ALICE, ALICE_PASSWORD, REALM, challenge(request).nonce(), 1);
        final KeyDelivery delivery = assertDelivered(handle(answer.request()));
        assertEquals(ALICE, delivery.userId().orElseThrow());
        assertTrue(delivery.euKey().isEmpty(), "the server never sends a clear EUKey");
        final StoredKey stored = await(store.findActive(PNE)).orElseThrow();
        assertEquals(ALICE, stored.userId());
        assertEquals(GW, stored.gatewayId());
        assertEquals(request.requestId(), stored.requestId());
        assertEquals(delivery.keyId().orElseThrow(), stored.keyId());
        try (SecretBytes euKey = answer.open(delivery)) {
            assertEquals(await(service.keyCheckValue(PNE)).orElseThrow(), KeyCheckValue.of(euKey),
                    "the requester opens the key the server stored");
        }
        try (Ha1 wrong = DigestClient.ha1("alice", REALM, "guess".toCharArray())) {
            final Answer guesser = new Answer(answer.request(), answer.keys(), wrong);
            assertTrue(throwsSecurityException(() -> guesser.open(delivery)), "a wrong HA1 opens nothing");
        }
    }

    @Test
    void answerForAnotherRealm_refused401_withoutCountingAFailure() {
        final KeyRequest request = proxyRequest(PNE, ALICE);
        final Answer answer = answer(request, ALICE, ALICE_PASSWORD, "another-realm", challenge(request).nonce(), 1);
        assertRefused(handle(answer.request()), Status.UNAUTHORIZED, "authentication failed");
        assertNoFailures(ALICE);
        assertNoKey(PNE);
    }

    @Test
    void wrongPassword_refused401_failureCountedAndNoKeyStored() {
        final KeyRequest request = proxyRequest(PNE, ALICE);
        final Answer answer = answer(request, ALICE, "guess".toCharArray(), REALM, challenge(request).nonce(), 1);
        assertRefused(handle(answer.request()), Status.UNAUTHORIZED, "authentication failed");
        final FailureStanding failures = await(store.failures(ALICE, GW));
        assertEquals(1, failures.pair().failures());
        assertEquals(1, failures.user().failures());
        assertEquals(1, failures.gateway().failures());
        assertNoKey(PNE);
    }

    @Test
    void unknownUser_refusedAlikeAWrongPassword() {
        final KeyRequest request = proxyRequest(PNE, UserId.of("mallory"));
        final Answer answer = answer(request, UserId.of("mallory"), "x".toCharArray(), REALM,
                challenge(request).nonce(), 1);
        assertRefused(handle(answer.request()), Status.UNAUTHORIZED, "authentication failed");
    }

    @Test
    void answerReattachedToAnotherRequestId_refused401() {
        final KeyRequest request = proxyRequest(PNE, ALICE);
        final Answer answer = answer(request, ALICE, ALICE_PASSWORD, REALM, challenge(request).nonce(), 1);
        final KeyRequest other = proxyRequest(PNE, ALICE).withAuthorization(answer.request().authorization().get(),
                answer.keys().publicKey());
        assertRefused(handle(other), Status.UNAUTHORIZED, "authentication failed");
        assertNoKey(PNE);
    }

    @Test
    void failuresUpToThePairLimit_lockOutEvenTheRightPassword_untilTheWindowEnds() {
        final KeyRequest request = proxyRequest(PNE, ALICE);
        for (int i = 0; i < POLICY.pairLimit(); i++) {
            final Answer wrong = answer(request, ALICE, ("guess-" + i).toCharArray(), REALM,
                    challenge(request).nonce(), 1);
            assertRefused(handle(wrong.request()), Status.UNAUTHORIZED, "authentication failed");
        }
        final Answer right = answer(request, ALICE, ALICE_PASSWORD, REALM, challenge(request).nonce(), 1);
        final KeyDelivery locked = assertRefused(handle(right.request()), Status.TOO_MANY_REQUESTS, null);
        assertTrue(locked.reason().orElseThrow().contains("too many failed attempts"), locked.reason().get());
        final int retryAfter = locked.retryAfter().orElseThrow();
        assertTrue(retryAfter > 14 * 60 && retryAfter <= 15 * 60, "until the window ends: " + retryAfter + " s");
        assertNoKey(PNE);

        clock.advance(Duration.ofSeconds(retryAfter - 2));
        final Answer early = answer(request, ALICE, ALICE_PASSWORD, REALM, challenge(request).nonce(), 1);
        assertRefused(handle(early.request()), Status.TOO_MANY_REQUESTS, null);
        assertEquals(2, metrics.lockouts.get(), "each refusal as locked out is counted");
        assertEquals(0, metrics.internalErrors.get());

        clock.advance(Duration.ofSeconds(2));
        final Answer after = answer(request, ALICE, ALICE_PASSWORD, REALM, challenge(request).nonce(), 1);
        assertDelivered(handle(after.request()));
    }

    @Test
    void pairLockedOut_otherUserThroughTheSameGateway_stillServed() {
        final KeyRequest request = proxyRequest(PNE, ALICE);
        for (int i = 0; i < POLICY.pairLimit(); i++) {
            assertRefused(handle(answer(request, ALICE, "guess".toCharArray(), REALM, challenge(request).nonce(), 1)
                    .request()), Status.UNAUTHORIZED, "authentication failed");
        }
        final KeyRequest bobs = proxyRequest(EntityId.of("bobs-phone"), BOB);
        assertDelivered(handle(answer(bobs, BOB, BOB_PASSWORD, REALM, challenge(bobs).nonce(), 1).request()));
    }

    // ---- single use of a digest answer ----

    @Test
    void replayedNonceAndCount_refused401_evenForTheRightAnswer() {
        final KeyRequest request = proxyRequest(PNE, ALICE);
        final Answer answer = answer(request, ALICE, ALICE_PASSWORD, REALM, challenge(request).nonce(), 1);
        final KeyDelivery first = assertDelivered(handle(answer.request()));
        assertRefused(handle(answer.request()), Status.UNAUTHORIZED, "nonce count already used");
        assertEquals(first.keyId(), await(store.findActive(PNE)).map(StoredKey::keyId), "the key is untouched");
    }

    // ---- idempotence, rotation, ownership (R12, R13) ----

    @Test
    void retriedRequestId_withANewNonceCountOrNonce_answeredWithTheSameKey() throws Exception {
        final KeyRequest request = proxyRequest(PNE, ALICE);
        final String nonce = challenge(request).nonce();
        final Answer first = answer(request, ALICE, ALICE_PASSWORD, REALM, nonce, 1);
        final Answer sameNonce = answer(request, ALICE, ALICE_PASSWORD, REALM, nonce, 2);
        final KeyDelivery d1 = assertDelivered(handle(first.request()));
        final KeyDelivery d2 = assertDelivered(handle(sameNonce.request()));
        final Answer newNonce = answer(request, ALICE, ALICE_PASSWORD, REALM, challenge(request).nonce(), 1);
        final KeyDelivery d3 = assertDelivered(handle(newNonce.request()));
        assertEquals(d1.keyId(), d2.keyId());
        assertEquals(d1.keyId(), d3.keyId());
        try (SecretBytes k1 = first.open(d1); SecretBytes k2 = sameNonce.open(d2); SecretBytes k3 = newNonce.open(d3)) {
            assertArrayEquals(k1.reveal(), k2.reveal(), "the same EUKey, wrapped for the new answer");
            assertArrayEquals(k1.reveal(), k3.reveal());
        }
        assertEquals(1, await(store.list()).size(), "never a second key for one request ID");
    }

    @Test
    void newRequestIdOfTheSameUser_rotatesTheKey_previousOneSuperseded() throws Exception {
        final KeyRequest firstRequest = proxyRequest(PNE, ALICE);
        final Answer first = answer(firstRequest, ALICE, ALICE_PASSWORD, REALM, challenge(firstRequest).nonce(), 1);
        final KeyDelivery d1 = assertDelivered(handle(first.request()));
        final KeyRequest secondRequest = proxyRequest(PNE, ALICE);
        final Answer second = answer(secondRequest, ALICE, ALICE_PASSWORD, REALM, challenge(secondRequest).nonce(),
                1);
        final KeyDelivery d2 = assertDelivered(handle(second.request()));
        assertNotEquals(d1.keyId(), d2.keyId());
        try (SecretBytes k1 = first.open(d1); SecretBytes k2 = second.open(d2)) {
            assertFalse(k1.equalsSecret(k2), "a new EUKey");
        }
        assertEquals(d2.keyId(), await(store.findActive(PNE)).map(StoredKey::keyId));
        assertEquals(KeyState.SUPERSEDED,
                await(store.findByRequest(PNE, firstRequest.requestId())).orElseThrow().state());
    }

    @Test
    void anotherUsersEntity_refused409_andTheOwnersKeyKept() {
        final KeyRequest alices = proxyRequest(PNE, ALICE);
        final KeyDelivery owner = assertDelivered(handle(answer(alices, ALICE, ALICE_PASSWORD, REALM,
                challenge(alices).nonce(), 1).request()));
        final KeyRequest bobs = proxyRequest(PNE, BOB);
        final KeyDelivery conflict = assertRefused(handle(answer(bobs, BOB, BOB_PASSWORD, REALM,
                challenge(bobs).nonce(), 1).request()), Status.CONFLICT, "entity is assigned to another user");
        assertTrue(conflict.userId().isEmpty(), "the owner is not revealed");
        final List<KeyInfo> keys = await(store.list());
        assertEquals(1, keys.size());
        assertEquals(ALICE, keys.get(0).userId());
        assertEquals(owner.keyId().orElseThrow(), keys.get(0).keyId());
    }

    @Test
    void retryOfARevokedKeysRequest_refused403_newRequestGetsANewKey() {
        final KeyRequest request = proxyRequest(PNE, ALICE);
        final KeyDelivery first = assertDelivered(handle(answer(request, ALICE, ALICE_PASSWORD, REALM,
                challenge(request).nonce(), 1).request()));
        assertTrue(await(store.revoke(PNE)).isPresent());
        final KeyDelivery retried = assertRefused(handle(answer(request, ALICE, ALICE_PASSWORD, REALM,
                challenge(request).nonce(), 1).request()), Status.FORBIDDEN, null);
        assertTrue(retried.reason().orElseThrow().contains("revoked"), retried.reason().get());
        final KeyRequest fresh = proxyRequest(PNE, ALICE);
        final KeyDelivery renewed = assertDelivered(handle(answer(fresh, ALICE, ALICE_PASSWORD, REALM,
                challenge(fresh).nonce(), 1).request()));
        assertNotEquals(first.keyId(), renewed.keyId());
    }

    @Test
    void lowOrderEphemeralKey_refused400_noKeyCreated() {
        final KeyRequest request = proxyRequest(PNE, ALICE);
        final String nonce = challenge(request).nonce();
        final KeyRequest answered;
        try (Ha1 ha1 = DigestClient.ha1(ALICE.value(), REALM, ALICE_PASSWORD)) {
            answered = DigestClient.answer(request, ALICE.value(), ha1, REALM, X25519PublicKey.of(new byte[32]),
                    nonce, DigestClient.nc(1), DigestClient.cnonce());
        }
        assertRefused(handle(answered), Status.BAD_REQUEST, null);
        assertNoKey(PNE);
    }

    // ---- refusals before and after the decision ----

    @Test
    void gatewayOverItsRequestRate_refused429ForTheRestOfTheSecond() {
        service.setRateLimiter(new RequestRateLimiter(vertx, clock, 2));
        final KeyRequest request = proxyRequest(PNE, ALICE);
        challenge(request);
        challenge(request);
        final KeyDelivery over = assertRefused(handle(request), Status.TOO_MANY_REQUESTS, null);
        assertEquals(java.util.OptionalInt.of(1), over.retryAfter());
        assertTrue(over.reason().orElseThrow().contains("request rate limit of 2"), over.reason().get());
        assertEquals(0, metrics.lockouts.get(), "a rate limit is no lockout");
        clock.advance(Duration.ofSeconds(1));
        challenge(request);
    }

    @Test
    void storeFailing_refused500WithoutDetail_noKeyDelivered() {
        final KeyRequest request = proxyRequest(PNE, ALICE);
        final Answer answer = answer(request, ALICE, ALICE_PASSWORD, REALM, challenge(request).nonce(), 1);
        await(store.close());
        assertRefused(handle(answer.request()), Status.INTERNAL_ERROR, "internal error");
        assertEquals(1, metrics.internalErrors.get(), "counted for the store-errors alert");
    }

    // ---- the PN GW's side, played with the protocol's client code ----

    /** A Key Request of a PN GW acting as proxy for {@code user}, with a new request ID. */
    private KeyRequest proxyRequest(final EntityId entity, final UserId user) {
        return KeyRequest.proxy(RequestId.of("req-" + ++requests), entity, java.util.Optional.empty())
                .withUser(user);
    }

    /** A digest answer with its requester's ephemeral key pair and HA1, which open the delivery it gets. */
    private record Answer(KeyRequest request, X25519.EphemeralKeyPair keys, Ha1 ha1) {
        SecretBytes open(final KeyDelivery d) throws java.security.GeneralSecurityException {
            final WrappedKey w = d.wrappedKey().orElseThrow();
            final DigestAuthorization auth = request.authorization().orElseThrow();
            assertEquals(auth.nonce(), w.nonce());
            assertEquals(auth.cnonce(), w.cnonce());
            try (SecretBytes shared = keys.agree(w.epk())) {
                return EuKeyWrap.unwrap(w, ha1, shared, new EuKeyWrap.Context(w.nonce(), w.cnonce(),
                        request.entityId(), d.userId().orElseThrow(), request.requestId(), d.keyId().orElseThrow(),
                        keys.publicKey(), w.epk()));
            }
        }
    }

    private static Answer answer(final KeyRequest request, final UserId user, final char[] password,
            final String realm, final String nonce, final long nc) {
        final X25519.EphemeralKeyPair keys = X25519.generate();
        final Ha1 ha1 = DigestClient.ha1(user.value(), realm, password);
        return new Answer(DigestClient.answer(request, user.value(), ha1, realm, keys.publicKey(), nonce,
                DigestClient.nc(nc), DigestClient.cnonce()), keys, ha1);
    }

    private Challenge challenge(final KeyRequest request) {
        return assertInstanceOf(Challenge.class, handle(request));
    }

    private CpnsMessage handle(final KeyRequest request) {
        return await(service.handle(GW, request));
    }

    private static KeyDelivery assertDelivered(final CpnsMessage reply) {
        final KeyDelivery d = assertInstanceOf(KeyDelivery.class, reply);
        assertEquals(Status.OK, d.status(), () -> "refused: " + d.reason().orElse(""));
        assertTrue(d.delivered() && d.wrappedKey().isPresent() && d.keyId().isPresent());
        return d;
    }

    /** A Key Delivery without key, of {@code status} and, unless null, {@code reason}. */
    private static KeyDelivery assertRefused(final CpnsMessage reply, final int status, final String reason) {
        final KeyDelivery d = assertInstanceOf(KeyDelivery.class, reply);
        assertEquals(status, d.status(), () -> "reason: " + d.reason().orElse(""));
        assertFalse(d.delivered());
        assertTrue(d.wrappedKey().isEmpty() && d.euKey().isEmpty() && d.keyId().isEmpty());
        if (reason != null) {
            assertEquals(reason, d.reason().orElseThrow());
        }
        return d;
    }

    private void assertNoKey(final EntityId entity) {
        assertTrue(await(store.findActive(entity)).isEmpty(), "no key stored for " + entity);
    }

    private void assertNoFailures(final UserId user) {
        final FailureStanding s = await(store.failures(user, GW));
        assertEquals(0, s.pair().failures() + s.user().failures() + s.gateway().failures(), "no failure counted");
    }

    private interface Opening {
        void run() throws Exception;
    }

    private static boolean throwsSecurityException(final Opening opening) throws Exception {
        try {
            opening.run();
            return false;
        } catch (java.security.GeneralSecurityException e) {
            return true;
        }
    }

    private static byte[] random(final int n) {
        final byte[] b = new byte[n];
        new java.security.SecureRandom().nextBytes(b);
        return b;
    }
}
