package org.cpnskeys.gateway.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;

import org.cpnskeys.gateway.ApprovedJournal;
import org.cpnskeys.gateway.DeviceDirectory;
import org.cpnskeys.gateway.approval.ApprovalDecision;
import org.cpnskeys.gateway.approval.ApprovalRequest;
import org.cpnskeys.gateway.approval.ApprovalService;
import org.cpnskeys.gateway.approval.ConsentSigner;
import org.cpnskeys.gateway.credentials.UserCredentials;
import org.cpnskeys.gateway.pan.DeviceRegister;
import org.cpnskeys.protocol.ConsentReceipt;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.StatusReport;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.ConsentSignature;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.KeyCheckValue;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.X25519;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's decisions without brokers: {@link GatewayKeyService} with a fake cloud whose server answers with the
 * real digest and key wrapping, a recording PAN, a scripted user and time moved by hand.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class GatewayKeyServiceTest {
    private static final UserCredentials ALICE = new UserCredentials(UserId.of("alice"), "cpns",
            DigestClient.ha1("alice", "cpns", "secret".toCharArray()));
    private static final EntityId SENSOR = EntityId.of("sensor-1");
    private static final EntityId PHONE = EntityId.of("phone-1");
    private static final Duration APPROVAL_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration CLOUD_TIMEOUT = Duration.ofSeconds(5);
    private static final KeyServiceSettings SETTINGS = new KeyServiceSettings("cpns", false, APPROVAL_TIMEOUT, 2,
            CLOUD_TIMEOUT, 2, 100, Duration.ofMinutes(10));

    @TempDir
    Path dir;

    private final MessageCodec codec = new MessageCodec();
    private final FakeScheduler clock = new FakeScheduler();
    private final FakeCloudServer cloud = new FakeCloudServer(ALICE);
    private final RecordingPan pan = new RecordingPan();
    private final ScriptedUser user = new ScriptedUser();
    private final List<Integer> outcomes = new ArrayList<>();
    private final SecretBytes euKey = SecretBytes.copyOf(bytes(32, 7));
    private DeviceDirectory devices;

    /** The user's side of the approval: every question waits for the test's answer. */
    private static final class ScriptedUser implements ApprovalService {
        final List<ApprovalRequest> asked = new ArrayList<>();
        final List<Promise<ApprovalDecision>> answers = new ArrayList<>();

        @Override
        public Future<ApprovalDecision> decide(final ApprovalRequest request) {
            asked.add(request);
            final Promise<ApprovalDecision> p = Promise.promise();
            answers.add(p);
            return p.future();
        }

        void answer(final ApprovalDecision decision) {
            answers.get(answers.size() - 1).complete(decision);
        }
    }

    @BeforeEach
    void devices() throws IOException {
        devices = DeviceDirectory.trustingExternalBroker();
        devices.useRegister(DeviceRegister.open(dir.resolve("register")));
    }

    private GatewayKeyService service(final Optional<ApprovedJournal> journal, final ApprovalService approval) {
        return instance(new SharedState(journal, 1), 0, approval, cloud, pan);
    }

    private GatewayKeyService instance(final SharedState shared, final int n, final ApprovalService approval,
            final FakeCloudServer link, final RecordingPan panLink) {
        final UserSide side = new UserSide(approval, () -> Optional.of(ALICE),
                (realm, why) -> Future.failedFuture(new AssertionError("the user is not prompted")), devices,
                (entity, requestId, status, reason) -> outcomes.add(status));
        return new GatewayKeyService(SETTINGS, side, shared, n, link, panLink, clock, codec);
    }

    private GatewayKeyService service() {
        return service(Optional.empty(), user);
    }

    private static byte[] bytes(final int n, final int value) {
        final byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) value);
        return b;
    }

    private static KeyRequest proxyRequest(final String id) {
        return KeyRequest.proxy(RequestId.of(id), SENSOR, Optional.of("hallway sensor"));
    }

    private void reply(final GatewayKeyService service, final Buffer raw) {
        service.cloudReply(codec.decode(raw), raw);
    }

    /** Takes a proxy request through approval and the first challenge; returns the answered request. */
    private KeyRequest approvedAndChallenged(final GatewayKeyService service, final String id) {
        service.keyRequest(proxyRequest(id));
        user.answer(ApprovalDecision.APPROVED);
        reply(service, cloud.challenge(cloud.last(), cloud.newNonce(), false));
        return cloud.last();
    }

    @Test
    void proxy_approvedAndChallenged_pneGetsTheEuKeyTheServerWrapped() throws Exception {
        final GatewayKeyService service = service();

        service.keyRequest(proxyRequest("r1"));
        assertEquals(Status.PENDING, pan.lastStatus().status(), "the PNE is told to wait while the user decides");
        assertEquals(List.of(), cloud.received(), "nothing goes to the cloud before the user approved");
        user.answer(ApprovalDecision.APPROVED);
        final KeyRequest first = cloud.last();
        assertTrue(first.proxy() && first.authorization().isEmpty() && first.userId().equals(Optional.of(ALICE.userId())),
                "the first request names the user and carries no answer yet");
        reply(service, cloud.challenge(first, cloud.newNonce(), false));
        final KeyRequest answered = cloud.last();
        assertEquals("00000001", answered.authorization().orElseThrow().nc());
        reply(service, cloud.deliver(answered, euKey));

        final KeyDelivery delivered = pan.lastDelivery();
        assertEquals(Status.OK, delivered.status());
        assertEquals(KeyCheckValue.of(euKey), KeyCheckValue.of(delivered.euKey().orElseThrow()),
                "the PNE gets, in clear, the EUKey the server wrapped");
        assertEquals(List.of(Status.OK), outcomes);
    }

    /** [L] 3: the gateway's own receipt of the approval goes to the cloud on every round, never one a PNE sent. */
    @Test
    void proxy_approved_everyCloudRoundCarriesTheGatewaysSignedReceiptNotThePnes() throws Exception {
        final ConsentSigner signer = ConsentSigner
                .loadOrCreate(dir, GatewayId.of("home-gw"), "console");
        final byte[] publicKey = ConsentSignature.parsePublicKey(
                Files.readString(dir.resolve(ConsentSigner.PUBLIC_FILE)), "key");
        final UserSide side = new UserSide(user, () -> Optional.of(ALICE),
                (realm, why) -> Future.failedFuture(new AssertionError("the user is not prompted")), devices,
                (entity, requestId, status, reason) -> outcomes.add(status), Optional.of(signer));
        final GatewayKeyService service = new GatewayKeyService(SETTINGS, side, new SharedState(Optional.empty(), 1),
                0, cloud, pan, clock, codec);
        final KeyRequest fromPne = proxyRequest("r1");
        final ConsentReceipt planted = ConsentSignature.sign(
                SecretBytes.copyOf(bytes(32, 9)), GatewayId.of("home-gw"), fromPne.requestId(),
                SENSOR, ALICE.userId(), "page", Optional.empty(), clock.now());

        service.keyRequest(fromPne.withConsent(Optional.of(planted)));
        user.answer(ApprovalDecision.APPROVED);
        final KeyRequest first = cloud.last();
        reply(service, cloud.challenge(first, cloud.newNonce(), false));
        final KeyRequest answered = cloud.last();

        for (final KeyRequest sent : List.of(first, answered)) {
            final ConsentReceipt r = sent.consent().orElseThrow();
            assertTrue(ConsentSignature.verify(r, publicKey), "signed by the gateway");
            assertEquals(List.of(fromPne.requestId(), SENSOR, ALICE.userId(), "console"),
                    List.of(r.requestId(), r.entityId(), r.userId(), r.channel()));
            assertTrue(!r.equals(planted), "the PNE's receipt is never forwarded");
        }
        assertEquals(first.consent(), answered.consent(), "one receipt per approval");
    }

    @Test
    void proxy_secondPneWithTheCachedNonce_oneCloudRoundTripWithTheNextNonceCount() throws Exception {
        final GatewayKeyService service = service();
        reply(service, cloud.deliver(approvedAndChallenged(service, "r1"), euKey));
        final int sent = cloud.received().size();

        service.keyRequest(KeyRequest.proxy(RequestId.of("r2"), SENSOR, Optional.empty()));
        user.answer(ApprovalDecision.APPROVED);

        assertEquals(sent + 1, cloud.received().size());
        assertEquals("00000002", cloud.last().authorization().orElseThrow().nc(), "answered at once, next nc");
        reply(service, cloud.deliver(cloud.last(), euKey));
        assertEquals(Status.OK, pan.lastDelivery().status());
    }

    @Test
    void proxy_staleNonce_answeredAgainWithTheNewNonce() throws Exception {
        final GatewayKeyService service = service();
        reply(service, cloud.deliver(approvedAndChallenged(service, "r1"), euKey));
        service.keyRequest(KeyRequest.proxy(RequestId.of("r2"), SENSOR, Optional.empty()));
        user.answer(ApprovalDecision.APPROVED);
        final KeyRequest withOldNonce = cloud.last();

        final String fresh = cloud.newNonce();
        reply(service, cloud.challenge(withOldNonce, fresh, true));

        final KeyRequest again = cloud.last();
        assertEquals(fresh, again.authorization().orElseThrow().nonce());
        assertEquals("00000001", again.authorization().orElseThrow().nc());
        assertFalse(again.epk().equals(withOldNonce.epk()), "a new nonce brings a new ephemeral key");
        reply(service, cloud.deliver(again, euKey));
        assertEquals(KeyCheckValue.of(euKey), KeyCheckValue.of(pan.lastDelivery().euKey().orElseThrow()));
    }

    @Test
    void proxy_serverKeepsChallenging_pneGets401AfterThreeRounds() {
        final GatewayKeyService service = service();
        service.keyRequest(proxyRequest("r1"));
        user.answer(ApprovalDecision.APPROVED);

        for (int round = 0; round <= ProxyExchange.MAX_CHALLENGE_ROUNDS; round++) {
            reply(service, cloud.challenge(cloud.last(), cloud.newNonce(), true));
        }

        assertEquals(Status.UNAUTHORIZED, pan.lastDelivery().status());
        assertEquals(1 + ProxyExchange.MAX_CHALLENGE_ROUNDS, cloud.received().size());
    }

    @Test
    void proxy_deliveryFailsItsTagOnce_sentAgainAndTheGoodDeliveryOpens() throws Exception {
        final GatewayKeyService service = service();
        final KeyRequest answered = approvedAndChallenged(service, "r1");
        final int sent = cloud.received().size();

        reply(service, cloud.deliverTampered(answered, euKey));
        assertEquals(0, pan.count("key-delivery"), "a delivery that fails verification reaches no PNE");
        assertEquals(sent + 1, cloud.received().size(), "the request is sent again");
        final KeyRequest again = cloud.last();
        reply(service, cloud.deliver(again, euKey));

        assertEquals(KeyCheckValue.of(euKey), KeyCheckValue.of(pan.lastDelivery().euKey().orElseThrow()));
    }

    @Test
    void proxy_deliveryFailsItsTagOnEveryAttempt_pneGets500() throws Exception {
        final GatewayKeyService service = service();
        final KeyRequest answered = approvedAndChallenged(service, "r1");

        reply(service, cloud.deliverTampered(answered, euKey));
        reply(service, cloud.deliverTampered(cloud.last(), euKey));

        final KeyDelivery refused = pan.lastDelivery();
        assertEquals(Status.INTERNAL_ERROR, refused.status());
        assertTrue(refused.euKey().isEmpty());
        assertEquals(Optional.of("the Key Delivery from the server failed verification"), refused.reason());
    }

    @Test
    void approval_noAnswerBeforeTheTimeout_pneGets403NotApprovedInTimeAndNothingReachesTheCloud() {
        // an approval service keeps its contract: EXPIRED once expiresAt passes (here on the test's clock)
        final ApprovalService expiring = request -> {
            final Promise<ApprovalDecision> p = Promise.promise();
            clock.schedule(Duration.between(clock.now(), request.expiresAt()), () -> p.tryComplete(ApprovalDecision.EXPIRED));
            return p.future();
        };
        final GatewayKeyService service = service(Optional.empty(), expiring);
        service.keyRequest(proxyRequest("r1"));

        clock.advance(APPROVAL_TIMEOUT.minusSeconds(1));
        assertEquals(Status.PENDING, pan.lastStatus().status(), "still waiting a second before the deadline");
        clock.advance(Duration.ofSeconds(1));

        final KeyDelivery refused = pan.lastDelivery();
        assertEquals(Status.FORBIDDEN, refused.status());
        assertEquals(Optional.of("not approved in time"), refused.reason());
        assertEquals(List.of(), cloud.received());
    }

    @Test
    void approval_deniedByTheUser_pneGets403AndNothingReachesTheCloud() {
        final GatewayKeyService service = service();
        service.keyRequest(proxyRequest("r1"));
        assertEquals(SENSOR, user.asked.get(0).entityId());
        assertEquals(clock.now().plus(APPROVAL_TIMEOUT), user.asked.get(0).expiresAt());

        user.answer(ApprovalDecision.DENIED);

        assertEquals(Status.FORBIDDEN, pan.lastDelivery().status());
        assertEquals(Optional.of("denied by the user"), pan.lastDelivery().reason());
        assertEquals(List.of(), cloud.received());
    }

    @Test
    void keyRequest_repeatedWhileTheUserDecides_another202AndOneQuestionOneCloudRequest() throws Exception {
        final GatewayKeyService service = service();
        service.keyRequest(proxyRequest("r1"));

        service.keyRequest(proxyRequest("r1"));
        final StatusReport again = pan.lastStatus();
        assertEquals(Status.PENDING, again.status());
        assertEquals("request in progress", again.reason());
        assertEquals(1, user.asked.size(), "the retry does not ask the user again");

        user.answer(ApprovalDecision.APPROVED);
        assertEquals(1, cloud.received().size());
        reply(service, cloud.challenge(cloud.last(), cloud.newNonce(), false));
        reply(service, cloud.deliver(cloud.last(), euKey));
        final Buffer finalAnswer = pan.last().payload();

        service.keyRequest(proxyRequest("r1"));
        assertEquals(finalAnswer, pan.last().payload(), "a retry after the end gets the same final answer");
        assertEquals(2, cloud.received().size());
    }

    @Test
    void keyRequest_retryReachingAnotherInstance_answeredByTheInstanceThatOwnsTheRequest() throws Exception {
        final SharedState shared = new SharedState(Optional.empty(), 2);
        final FakeCloudServer otherCloud = new FakeCloudServer(ALICE);
        final RecordingPan otherPan = new RecordingPan();
        final GatewayKeyService first = instance(shared, 0, user, cloud, pan);
        final GatewayKeyService second = instance(shared, 1, user, otherCloud, otherPan);
        first.keyRequest(proxyRequest("r1"));

        second.keyRequest(proxyRequest("r1"));

        assertEquals("request in progress", pan.lastStatus().reason(), "the owner answers the retry");
        assertEquals(List.of(), otherPan.sent());
        assertEquals(1, user.asked.size());
        user.answer(ApprovalDecision.APPROVED);
        reply(first, cloud.challenge(cloud.last(), cloud.newNonce(), false));
        reply(first, cloud.deliver(cloud.last(), euKey));
        assertEquals(Status.OK, pan.lastDelivery().status());
        assertEquals(List.of(), otherCloud.received(), "only the owner talks to the cloud about the request");
    }

    @Test
    void cloud_noAnswerOnEveryAttempt_requestWaitsForTheCloudThenGetsItsKey() throws Exception {
        final GatewayKeyService service = service();
        service.keyRequest(proxyRequest("r1"));
        user.answer(ApprovalDecision.APPROVED);

        clock.advance(CLOUD_TIMEOUT);
        assertEquals(2, cloud.received().size(), "a lost answer: the request is sent again");
        cloud.disconnect();
        clock.advance(CLOUD_TIMEOUT);
        assertEquals("CPNS Server unreachable: the request is queued", pan.lastStatus().reason());
        clock.advance(CLOUD_TIMEOUT);
        cloud.reconnect();

        assertEquals(3, cloud.received().size(), "sent again once the cloud is back");
        reply(service, cloud.challenge(cloud.last(), cloud.newNonce(), false));
        reply(service, cloud.deliver(cloud.last(), euKey));
        assertEquals(Status.OK, pan.lastDelivery().status());
    }

    @Test
    void relay_pneWithUi_challengeAndDeliveryReachThePneByteForByte() throws Exception {
        final GatewayKeyService service = service();
        final KeyRequest request = KeyRequest.withUi(RequestId.of("u1"), PHONE, ALICE.userId(), Optional.empty());
        service.keyRequest(request);
        user.answer(ApprovalDecision.APPROVED);
        assertEquals(request, cloud.last(), "the PNE's request goes to the server as it is");

        // the server's bytes, with members in another order than this codec writes them: forwarded as they are
        final String nonce = cloud.newNonce();
        final Buffer challenge = Buffer.buffer(("{\"nonce\":\"" + nonce + "\",\"v\":2,\"type\":\"challenge\","
                + "\"requestId\":\"u1\",\"entityId\":\"phone-1\",\"status\":401,\"realm\":\"cpns\",\"qop\":\"auth\","
                + "\"algorithm\":\"MD5\",\"stale\":false}").getBytes(StandardCharsets.UTF_8));
        reply(service, challenge);
        assertEquals("challenge", pan.last().leaf());
        assertArrayEquals(challenge.getBytes(), pan.last().payload().getBytes());

        try (X25519.EphemeralKeyPair phoneKeys = X25519.generate()) {
            final KeyRequest answered = DigestClient.answer(request, "alice", ALICE.ha1(), "cpns",
                    phoneKeys.publicKey(), nonce, "00000001", DigestClient.cnonce());
            service.keyRequest(answered);
            assertEquals(answered, cloud.last(), "the PNE's answer goes to the server as it is");
            final Buffer delivery = Buffer.buffer(" " + cloud.deliver(answered, euKey).toString(StandardCharsets.UTF_8));
            reply(service, delivery);
        }
        assertEquals("key-delivery", pan.last().leaf());
        assertEquals(" {", pan.last().payload().getString(0, 2), "the very bytes the server sent");
        assertTrue(pan.lastDelivery().euKey().isEmpty(), "the key stays wrapped for the PNE");
    }

    @Test
    void relay_serverSendsAClearEuKeyForAPneWithUi_droppedAndThePneGets500() {
        final GatewayKeyService service = service();
        final KeyRequest request = KeyRequest.withUi(RequestId.of("u1"), PHONE, ALICE.userId(), Optional.empty());
        service.keyRequest(request);
        user.answer(ApprovalDecision.APPROVED);

        reply(service, codec.encode(KeyDelivery.clear(request.requestId(), PHONE, ALICE.userId(),
                org.cpnskeys.protocol.KeyId.of("k1"), SecretBytes.copyOf(bytes(32, 9)))));

        final KeyDelivery refused = pan.lastDelivery();
        assertEquals(Status.INTERNAL_ERROR, refused.status());
        assertTrue(refused.euKey().isEmpty());
    }

    @Test
    void approval_journaledBeforeTheRequestGoesToTheCloud() throws Exception {
        try (ApprovedJournal journal = ApprovedJournal.open(dir.resolve("gw"), codec)) {
            final GatewayKeyService service = service(Optional.of(journal), user);
            final Path file = dir.resolve("gw").resolve(ApprovedJournal.FILE_NAME);
            final List<Boolean> onDiskWhenSent = new ArrayList<>();
            cloud.onArrival(r -> onDiskWhenSent.add(journalHolds(file, r.requestId())));
            service.keyRequest(proxyRequest("r1"));
            user.answer(ApprovalDecision.APPROVED);
            if (cloud.received().isEmpty()) {
                clock.runHandedIn(); // the journal's sync completed on its writer's thread, after the approval
            }
            assertEquals(1, cloud.received().size());
            assertEquals(List.of(true), onDiskWhenSent, "not sent before the approval is on disk");
        }
        try (ApprovedJournal reopened = ApprovedJournal.open(dir.resolve("gw"), codec)) {
            assertEquals(List.of(RequestId.of("r1")), reopened.unfinished().stream().map(KeyRequest::requestId).toList(),
                    "an approved, unfinished request survives a crash");
        }
    }

    private static boolean journalHolds(final Path file, final RequestId requestId) {
        try {
            return Files.readString(file).contains("\"" + requestId.value() + "\"");
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void resume_approvedRequestLeftOpenByACrash_finishedWithoutAskingTheUserAgain() throws Exception {
        try (ApprovedJournal crashed = ApprovedJournal.open(dir.resolve("gw"), codec)) {
            crashed.approved(proxyRequest("r1")).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        try (ApprovedJournal journal = ApprovedJournal.open(dir.resolve("gw"), codec)) {
            final GatewayKeyService service = service(Optional.of(journal),
                    request -> Future.failedFuture(new AssertionError("the user is asked again")));

            service.resume();
            assertEquals(RequestId.of("r1"), cloud.last().requestId(), "the same request ID goes to the server");
            reply(service, cloud.challenge(cloud.last(), cloud.newNonce(), false));
            reply(service, cloud.deliver(cloud.last(), euKey));

            assertEquals(KeyCheckValue.of(euKey), KeyCheckValue.of(pan.lastDelivery().euKey().orElseThrow()));
        }
        try (ApprovedJournal reopened = ApprovedJournal.open(dir.resolve("gw"), codec)) {
            assertEquals(List.of(), reopened.unfinished(), "the finished request is not resumed again");
        }
    }

    @Test
    void approval_moreRequestsWaitingThanTheCap_theNextRefused429WithALongerRetryAfter() {
        final KeyServiceSettings oneAtATime = new KeyServiceSettings("cpns", false, APPROVAL_TIMEOUT, 2, CLOUD_TIMEOUT,
                2, 1, Duration.ofMinutes(10));
        final UserSide side = new UserSide(user, () -> Optional.of(ALICE),
                (realm, why) -> Future.failedFuture(new AssertionError("the user is not prompted")), devices,
                (entity, requestId, status, reason) -> outcomes.add(status));
        final GatewayKeyService service = new GatewayKeyService(oneAtATime, side, new SharedState(Optional.empty(), 1),
                0, cloud, pan, clock, codec);
        service.keyRequest(proxyRequest("r1"));

        service.keyRequest(KeyRequest.proxy(RequestId.of("r2"), EntityId.of("sensor-2"), Optional.empty()));

        final KeyDelivery refused = pan.lastDelivery();
        assertEquals(Status.TOO_MANY_REQUESTS, refused.status());
        assertEquals(java.util.OptionalInt.of(10), refused.retryAfter());
        assertEquals(1, user.asked.size(), "the user is not asked about the request beyond the cap");
        user.answer(ApprovalDecision.DENIED);
        service.keyRequest(KeyRequest.proxy(RequestId.of("r2"), EntityId.of("sensor-2"), Optional.empty()));
        assertEquals(2, user.asked.size(), "a 429 is not final: once a place is free, the retry reaches the user");
    }

    @Test
    void proxy_noCredentialsAndDropConfigured_droppedWithoutAnswerOrQuestion() {
        final UserSide side = new UserSide(user, Optional::empty,
                (realm, why) -> Future.failedFuture(new AssertionError("the user is not prompted")), devices,
                (entity, requestId, status, reason) -> outcomes.add(status));
        final GatewayKeyService service = new GatewayKeyService(SETTINGS, side, new SharedState(Optional.empty(), 1),
                0, cloud, pan, clock, codec);

        service.keyRequest(proxyRequest("r1"));

        assertEquals(List.of(), pan.sent(), "R6 MAY drop: nothing is answered");
        assertEquals(List.of(), user.asked);
        assertEquals(List.of(0), outcomes);
    }
}
