package org.cpnskeys.pne;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.DigestAuthorization;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.StatusReport;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.EuKeyWrap;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.protocol.crypto.KeyCheckValue;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.X25519;

/**
 * The PNE's decisions ({@link PneSession}) without broker or timers: a fake port records what it sends and holds
 * its one timer, which the test fires; the other side (the server, and the gateway acting as proxy) is played
 * with the protocol's real code ({@link DigestClient}, {@link X25519}, {@link EuKeyWrap}), and every message goes
 * through the codec both ways, as on the wire. The EUKey is stored in a real PKCS#12 file.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class PneSessionTest {
    private static final String REALM = "cpns-0123456789abcdef";
    private static final EntityId ENTITY = EntityId.of("phone-1");
    private static final UserId ALICE = UserId.of("alice");
    private static final char[] PASSWORD = "alice-password".toCharArray();
    private static final char[] STORE_PASSWORD = "store-password".toCharArray();
    private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(5);
    private static final int ATTEMPTS = 3;
    private static final MessageCodec CODEC = new MessageCodec();
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final FakePort port = new FakePort();
    private final FakeServer server = new FakeServer();
    private final Promise<PneOutcome> outcome = Promise.promise();
    private PneSession session;

    @BeforeEach
    void captureLogs() {
        logs.start();
        root.addAppender(logs);
    }

    @AfterEach
    void detachLogs() {
        root.detachAppender(logs);
    }

    // ---- a PNE without UI: the gateway acts as proxy ----

    @Test
    void proxyPne_sendsAProxyRequest_storesTheDeliveredKey_andZeroesItsCopy() throws Exception {
        start(proxySettings());
        final KeyRequest sent = port.only();
        assertTrue(sent.proxy());
        assertTrue(sent.userId().isEmpty() && sent.authorization().isEmpty() && sent.epk().isEmpty(),
                "a proxy request names no user and answers nothing");
        assertEquals(Optional.of("a sensor"), sent.description());

        receive(server.clearDelivery(sent));
        final PneOutcome o = outcome();
        assertTrue(o.stored(), o.reason());
        assertEquals(Optional.of(server.keyId), o.keyId());
        assertEquals(Optional.of(KeyCheckValue.of(server.euKey)), o.keyCheckValue());
        try (SecretBytes kept = EuKeyStore.load(port.keyStore, STORE_PASSWORD, ENTITY)) {
            assertTrue(kept.equalsSecret(server.euKey), "the delivered EUKey is in the PKCS#12 file");
        }
        assertTrue(port.stored.isDestroyed(), "the session's copy is zeroed once stored");
        assertNull(port.timer, "nothing more to wait for");
    }

    @Test
    void proxyPne_noAnswer_sendsTheSameRequestAgainOnEachTimeout_thenGivesUp503() {
        start(proxySettings());
        for (int i = 1; i < ATTEMPTS; i++) {
            assertEquals(REPLY_TIMEOUT.toMillis(), port.delay);
            port.fire();
        }
        assertEquals(ATTEMPTS, port.sent.size());
        assertEquals(1, port.sent.stream().distinct().count(), "the same request, same request ID, each time");
        port.fire();
        final PneOutcome o = outcome();
        assertEquals(Status.UNAVAILABLE, o.status());
        assertEquals("no answer from the gateway after " + ATTEMPTS + " attempts", o.reason());
        assertFalse(Files.exists(port.keyStore));
    }

    @Test
    void proxyPne_pendingWhileTheUserDecides_asksAgainAfterRetryAfterWithAFreshBudget() {
        start(proxySettings());
        port.fire();
        port.fire();
        final KeyRequest sent = port.last();
        receive(StatusReport.pending(sent.requestId(), ENTITY, "waiting for the user's approval", 7));
        assertEquals(7000, port.delay, "asks again after retryAfter");
        for (int i = 0; i < ATTEMPTS; i++) {
            port.fire();
        }
        assertEquals(ATTEMPTS * 2, port.sent.size(), "the attempts start over after a 202");
        assertFalse(outcome.future().isComplete());
        receive(server.clearDelivery(sent));
        assertTrue(outcome().stored());
    }

    @Test
    void proxyPne_challenge_ignored() {
        start(proxySettings());
        receive(server.challenge(port.only()));
        assertEquals(1, port.sent.size(), "a PNE without UI answers no challenge");
        assertFalse(outcome.future().isComplete());
    }

    @Test
    void refusalForTheRequest_endsWithItsStatus_otherRequestsIgnored() {
        start(proxySettings());
        final KeyRequest sent = port.only();
        receive(KeyDelivery.refused(RequestId.of("another-request"), ENTITY, Status.FORBIDDEN, "not yours"));
        receive(StatusReport.of(Optional.of(RequestId.of("another-request")), Optional.of(ENTITY), Status.FORBIDDEN,
                "not yours"));
        assertFalse(outcome.future().isComplete(), "what answers another request changes nothing");
        receive(StatusReport.of(Optional.of(sent.requestId()), Optional.of(ENTITY), Status.FORBIDDEN,
                "denied by the user"));
        final PneOutcome o = outcome();
        assertEquals(Status.FORBIDDEN, o.status());
        assertEquals("denied by the user", o.reason());
        assertNull(port.timer);
    }

    // ---- a PNE with UI: answers the challenge and unwraps the key itself ----

    @Test
    void uiPne_answersTheChallengeWithItsRequestsDigestUriAndEpk_andUnwrapsTheKey() throws Exception {
        final CountingPrompt prompt = new CountingPrompt(PASSWORD);
        start(uiSettings(prompt, Optional.empty()));
        final KeyRequest first = port.only();
        assertFalse(first.proxy());
        assertEquals(Optional.of(ALICE), first.userId());
        assertTrue(first.authorization().isEmpty() && first.epk().isEmpty());

        final Challenge challenge = server.challenge(first);
        receive(challenge);
        final KeyRequest answered = port.last();
        final DigestAuthorization auth = answered.authorization().orElseThrow();
        assertEquals(first.requestId(), answered.requestId(), "the same request, now answered");
        assertEquals(DigestClient.uri(ENTITY, first.requestId(), answered.epk().orElseThrow()), auth.uri(),
                "the digest-uri names this request and its ephemeral key");
        assertEquals(REALM, auth.realm());
        assertEquals(challenge.nonce(), auth.nonce());
        assertEquals("alice", auth.username());
        assertEquals(DigestClient.nc(1), auth.nc());
        assertEquals(1, prompt.asked.get());
        assertArrayEquals(new char[PASSWORD.length], prompt.handedOut, "the typed password is zeroed after use");

        receive(server.wrappedDelivery(answered));
        final PneOutcome o = outcome();
        assertTrue(o.stored(), o.reason());
        try (SecretBytes kept = EuKeyStore.load(port.keyStore, STORE_PASSWORD, ENTITY)) {
            assertTrue(kept.equalsSecret(server.euKey), "the PNE opened the server's EUKey");
        }
        assertTrue(port.stored.isDestroyed());
    }

    @Test
    void uiPne_deliveryWrappedForAnotherCnonce_refused401_nothingStored() {
        answerTheChallengeThenReceiveADeliveryWrappedFor(auth -> auth.nonce(), auth -> DigestClient.cnonce());
        assertFailedVerification();
    }

    @Test
    void uiPne_deliveryWrappedForAnotherNonce_refused401_nothingStored() {
        answerTheChallengeThenReceiveADeliveryWrappedFor(auth -> FakeServer.newNonce(), auth -> auth.cnonce());
        assertFailedVerification();
    }

    /** Lets the PNE answer a challenge, then hands it its EUKey wrapped right but under this nonce and cnonce. */
    private void answerTheChallengeThenReceiveADeliveryWrappedFor(
            final java.util.function.Function<DigestAuthorization, String> nonce,
            final java.util.function.Function<DigestAuthorization, String> cnonce) {
        start(uiSettings(LoginPrompt.fixed(ALICE, PASSWORD), Optional.empty()));
        receive(server.challenge(port.only()));
        final KeyRequest answered = port.last();
        final DigestAuthorization auth = answered.authorization().orElseThrow();
        receive(server.wrappedDelivery(answered, nonce.apply(auth), cnonce.apply(auth)));
    }

    @Test
    void uiPne_deliveryWithoutWrappedKey_refusedNotStored_loggedWithoutKeyMaterial_genuineOneStillTaken()
            throws Exception {
        start(uiSettings(LoginPrompt.fixed(ALICE, PASSWORD), Optional.empty()));
        receive(server.challenge(port.only()));
        final KeyRequest answered = port.last();

        final KeyDelivery planted = wire(server.clearDelivery(answered));
        final byte[] plantedBytes = planted.euKey().orElseThrow().reveal();
        session.onMessage(planted);
        assertFalse(outcome.future().isComplete(), "refused, and still waiting for the genuine answer");
        assertFalse(Files.exists(port.keyStore), "nothing stored");
        assertTrue(planted.euKey().get().isDestroyed(), "the clear key is zeroed at once");
        assertTrue(logs.list.stream().anyMatch(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN
                && e.getFormattedMessage().contains("carries the EUKey in clear")), "the refusal is logged");
        assertNoKeyMaterialLogged(plantedBytes);

        receive(server.wrappedDelivery(answered));
        assertTrue(outcome().stored());
        try (SecretBytes kept = EuKeyStore.load(port.keyStore, STORE_PASSWORD, ENTITY)) {
            assertTrue(kept.equalsSecret(server.euKey));
        }
        assertNoKeyMaterialLogged(server.euKey.reveal());
    }

    @Test
    void uiPne_wrongPassword_serverRefuses401_failsWithoutAskingAgain() {
        final CountingPrompt prompt = new CountingPrompt("wrong-password".toCharArray());
        start(uiSettings(prompt, Optional.empty()));
        receive(server.challenge(port.only()));
        receive(server.answer(port.last()));
        final PneOutcome o = outcome();
        assertEquals(Status.UNAUTHORIZED, o.status());
        assertEquals("authentication failed", o.reason());
        assertEquals(1, prompt.asked.get(), "the password was asked once");
        assertFalse(Files.exists(port.keyStore));
    }

    @Test
    void uiPne_nextChallenge_answeredWithoutAskingTheUserAgain_newCnonceAndEpk() throws Exception {
        final CountingPrompt prompt = new CountingPrompt(PASSWORD);
        start(uiSettings(prompt, Optional.empty()));
        receive(server.challenge(port.only()));
        final KeyRequest firstAnswer = port.last();
        receive(server.challenge(firstAnswer));
        final KeyRequest secondAnswer = port.last();
        assertEquals(1, prompt.asked.get(), "HA1 is kept for the next challenge");
        final DigestAuthorization a1 = firstAnswer.authorization().orElseThrow();
        final DigestAuthorization a2 = secondAnswer.authorization().orElseThrow();
        assertNotEquals(a1.nonce(), a2.nonce());
        assertNotEquals(a1.cnonce(), a2.cnonce());
        assertNotEquals(firstAnswer.epk(), secondAnswer.epk(), "a fresh ephemeral key per answer");

        receive(server.wrappedDelivery(secondAnswer));
        assertTrue(outcome().stored(), outcome().reason());
    }

    /**
     * The race CI met after a broker restart: the request reached the server twice, the PNE answered both
     * challenges, and the server assigned on the first answer. That delivery is the PNE's own and is opened.
     */
    @Test
    void uiPne_challengedTwice_deliveryWrappedForTheEarlierAnswer_isOpened_theLaterOneIgnored() throws Exception {
        start(uiSettings(LoginPrompt.fixed(ALICE, PASSWORD), Optional.empty()));
        final KeyRequest first = port.only();
        receive(server.challenge(first));
        final KeyRequest firstAnswer = port.last();
        receive(server.challenge(first));
        final KeyRequest secondAnswer = port.last();

        receive(server.wrappedDelivery(firstAnswer));
        final PneOutcome o = outcome();
        assertTrue(o.stored(), o.reason());
        try (SecretBytes kept = EuKeyStore.load(port.keyStore, STORE_PASSWORD, ENTITY)) {
            assertTrue(kept.equalsSecret(server.euKey), "the PNE opened the server's EUKey");
        }
        receive(server.wrappedDelivery(secondAnswer));
        assertEquals(o, outcome(), "decided once");
    }

    @Test
    void uiPne_moreThanThreeChallenges_fails401() {
        start(uiSettings(LoginPrompt.fixed(ALICE, PASSWORD), Optional.empty()));
        for (int i = 0; i < 3; i++) {
            receive(server.challenge(port.last()));
        }
        assertEquals(4, port.sent.size(), "three answers");
        receive(server.challenge(port.last()));
        assertEquals(Status.UNAUTHORIZED, outcome().status());
        assertEquals("too many challenges", outcome().reason());
    }

    @Test
    void uiPne_challengeForAnotherRealm_refusedWhenItsRealmIsPinned() {
        final CountingPrompt prompt = new CountingPrompt(PASSWORD);
        start(uiSettings(prompt, Optional.of("cpns-ffffffffffffffff")));
        receive(server.challenge(port.only()));
        final PneOutcome o = outcome();
        assertEquals(Status.UNAUTHORIZED, o.status());
        assertEquals("challenge for another realm (" + REALM + ") refused", o.reason());
        assertEquals(0, prompt.asked.get(), "no password typed for a foreign realm");
        assertEquals(1, port.sent.size(), "nothing answered");
    }

    @Test
    void uiPne_serverBusyAfterItsAnswer_startsOverWithoutTheAnswer_sameRequestId() {
        start(uiSettings(LoginPrompt.fixed(ALICE, PASSWORD), Optional.empty()));
        final KeyRequest first = port.only();
        receive(server.challenge(first));
        final KeyRequest answered = port.last();
        receive(KeyDelivery.refused(answered.requestId(), ENTITY, Status.UNAVAILABLE, "store unavailable", 4));
        assertEquals(4000, port.delay);
        port.fire();
        final KeyRequest again = port.last();
        assertEquals(first, again, "the first request again: a digest answer is good once");
        receive(server.challenge(again));
        receive(server.wrappedDelivery(port.last()));
        assertTrue(outcome().stored());
    }

    @Test
    void close_beforeAnOutcome_stopped503_laterDeliveriesIgnored() {
        start(uiSettings(LoginPrompt.fixed(ALICE, PASSWORD), Optional.empty()));
        receive(server.challenge(port.only()));
        final KeyRequest answered = port.last();
        session.close();
        assertEquals(Status.UNAVAILABLE, outcome().status());
        assertEquals("stopped", outcome().reason());
        assertNull(port.timer);
        receive(server.wrappedDelivery(answered));
        assertFalse(Files.exists(port.keyStore), "a closed session stores nothing");
    }

    // ---- the harness ----

    private static PneSession.Settings proxySettings() {
        return new PneSession.Settings(ENTITY, Optional.empty(), Optional.of("a sensor"), Optional.empty(),
                REPLY_TIMEOUT, ATTEMPTS);
    }

    private static PneSession.Settings uiSettings(final LoginPrompt prompt, final Optional<String> realm) {
        return new PneSession.Settings(ENTITY, Optional.of(prompt), Optional.of("a phone"), realm, REPLY_TIMEOUT,
                ATTEMPTS);
    }

    private void start(final PneSession.Settings settings) {
        port.keyStore = dir.resolve("eukey.p12");
        session = new PneSession(settings, RequestId.of("req-1"), port, outcome);
        assertTrue(session.start().succeeded());
    }

    /** Hands {@code message} to the session as it arrives from the wire. */
    private void receive(final CpnsMessage message) {
        session.onMessage(wire(message));
    }

    @SuppressWarnings("unchecked")
    private static <T extends CpnsMessage> T wire(final T message) {
        return (T) CODEC.decode(CODEC.encode(message));
    }

    private PneOutcome outcome() {
        assertTrue(outcome.future().isComplete(), "an outcome");
        return outcome.future().result();
    }

    private void assertFailedVerification() {
        final PneOutcome o = outcome();
        assertEquals(Status.UNAUTHORIZED, o.status());
        assertEquals("the Key Delivery failed verification", o.reason());
        assertFalse(Files.exists(port.keyStore), "nothing stored");
    }

    private void assertNoKeyMaterialLogged(final byte[] key) {
        final List<String> spellings = List.of(HexFormat.of().formatHex(key), HexFormat.of().withUpperCase()
                .formatHex(key), Base64.getEncoder().encodeToString(key),
                Base64.getUrlEncoder().withoutPadding().encodeToString(key));
        assertFalse(logs.list.isEmpty());
        for (final ILoggingEvent e : logs.list) {
            for (final String s : spellings) {
                assertFalse(e.getFormattedMessage().contains(s), "key material logged: " + e.getFormattedMessage());
            }
        }
    }

    /** Records what the session sends, holds its one timer (fired by the test), stores into a real PKCS#12 file. */
    private static final class FakePort implements PneSession.Port {
        final List<KeyRequest> sent = new ArrayList<>();
        Runnable timer;
        long delay;
        Path keyStore;
        SecretBytes stored;

        @Override
        public void send(final KeyRequest request) {
            sent.add(wire(request));
        }

        @Override
        public void schedule(final long delayMs, final Runnable action) {
            timer = action;
            delay = delayMs;
        }

        @Override
        public void cancel() {
            timer = null;
        }

        @Override
        public Future<String> store(final SecretBytes euKey) {
            stored = euKey;
            try {
                EuKeyStore.store(keyStore, STORE_PASSWORD, ENTITY, euKey);
                return Future.succeededFuture(keyStore.toString());
            } catch (java.io.IOException | GeneralSecurityException e) {
                return Future.failedFuture(e);
            }
        }

        void fire() {
            final Runnable action = timer;
            assertNotNull(action, "a timer is set");
            timer = null;
            action.run();
        }

        KeyRequest only() {
            assertEquals(1, sent.size());
            return sent.get(0);
        }

        KeyRequest last() {
            return sent.get(sent.size() - 1);
        }
    }

    /**
     * The other side, with the protocol's own code: challenges, checks the digest answer against alice's HA1,
     * wraps its EUKey for the answer (as the server does) or hands it in clear (as a proxy gateway does).
     */
    private static final class FakeServer {
        final SecretBytes euKey = SecretBytes.adopt(random(EuKeyWrap.EUKEY_BYTES));
        final KeyId keyId = KeyId.of(HexFormat.of().formatHex(random(16)));
        final Ha1 ha1 = DigestClient.ha1(ALICE.value(), REALM, PASSWORD);

        static String newNonce() {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(random(24));
        }

        Challenge challenge(final KeyRequest request) {
            return new Challenge(request.requestId(), request.entityId(), REALM, newNonce(), false);
        }

        KeyDelivery clearDelivery(final KeyRequest request) {
            return KeyDelivery.clear(request.requestId(), request.entityId(), ALICE, keyId,
                    SecretBytes.copyOf(euKey.reveal()));
        }

        /** The server's answer to a digest answer: 401 unless it is alice's, else the EUKey wrapped for it. */
        KeyDelivery answer(final KeyRequest request) {
            final DigestAuthorization auth = request.authorization().orElseThrow();
            final String expected = DigestClient.keyRequestResponse(ha1, request.entityId(), request.requestId(),
                    request.epk().orElseThrow(), auth.nonce(), auth.nc(), auth.cnonce());
            if (!expected.equals(auth.response()) || !DigestClient.uri(request).equals(auth.uri())) {
                return KeyDelivery.refused(request.requestId(), request.entityId(), Status.UNAUTHORIZED,
                        "authentication failed");
            }
            return wrappedDelivery(request, auth.nonce(), auth.cnonce());
        }

        /** The server's answer to a digest answer that must be right. */
        KeyDelivery wrappedDelivery(final KeyRequest request) {
            final KeyDelivery d = answer(request);
            assertEquals(Status.OK, d.status(), "the PNE's digest answer is right");
            return d;
        }

        /** The EUKey wrapped for the request's epk and HA1, under the given nonce and cnonce. */
        KeyDelivery wrappedDelivery(final KeyRequest request, final String nonce, final String cnonce) {
            try (X25519.EphemeralKeyPair serverKeys = X25519.generate();
                    SecretBytes shared = serverKeys.agree(request.epk().orElseThrow())) {
                return KeyDelivery.wrapped(request.requestId(), request.entityId(), ALICE, keyId,
                        EuKeyWrap.wrap(euKey, ha1, shared, new EuKeyWrap.Context(nonce, cnonce, request.entityId(),
                                ALICE, request.requestId(), keyId, request.epk().orElseThrow(),
                                serverKeys.publicKey())));
            } catch (GeneralSecurityException e) {
                throw new AssertionError(e);
            }
        }
    }

    /** A typed login that counts how often the password is asked and keeps the array it handed out. */
    private static final class CountingPrompt implements LoginPrompt {
        final AtomicInteger asked = new AtomicInteger();
        final char[] password;
        char[] handedOut;

        CountingPrompt(final char[] password) {
            this.password = password.clone();
        }

        @Override
        public Future<UserId> userId() {
            return Future.succeededFuture(ALICE);
        }

        @Override
        public Future<char[]> password(final String realm) {
            asked.incrementAndGet();
            handedOut = password.clone();
            return Future.succeededFuture(handedOut);
        }
    }

    private static byte[] random(final int n) {
        final byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
