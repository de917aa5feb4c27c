package org.cpnskeys.gateway.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;

import org.cpnskeys.gateway.DeviceDirectory;
import org.cpnskeys.gateway.approval.ApprovalDecision;
import org.cpnskeys.gateway.approval.ApprovalRequest;
import org.cpnskeys.gateway.approval.ApprovalService;
import org.cpnskeys.gateway.credentials.UserCredentials;
import org.cpnskeys.gateway.pan.DeviceRegister;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyRelease;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.StatusReport;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The owner's release at the gateway without brokers (PROTOCOL.md 2.3): the release the user asks for, answered
 * with the user's HA1 and the method KEY-RELEASE, and what the gateway forgets; and a PNE with UI's own release,
 * relayed byte for byte. A fake cloud whose server checks the real digest, a recording PAN, time moved by hand.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class GatewayReleaseTest {
    private static final UserCredentials ALICE = new UserCredentials(org.cpnskeys.protocol.UserId.of("alice"), "cpns",
            DigestClient.ha1("alice", "cpns", "secret".toCharArray()));
    private static final EntityId SENSOR = EntityId.of("sensor-1");
    private static final EntityId PHONE = EntityId.of("phone-1");
    private static final KeyServiceSettings SETTINGS = new KeyServiceSettings("cpns", false, Duration.ofMinutes(2), 2,
            Duration.ofSeconds(5), 2, 100, Duration.ofMinutes(10));

    @TempDir
    Path dir;

    private final MessageCodec codec = new MessageCodec();
    private final FakeScheduler clock = new FakeScheduler();
    private final FakeCloudServer cloud = new FakeCloudServer(ALICE);
    private final RecordingPan pan = new RecordingPan();
    private final List<ApprovalRequest> asked = new ArrayList<>();
    private final List<Promise<ApprovalDecision>> answers = new ArrayList<>();
    private final List<String> outcomes = new ArrayList<>();
    private Optional<UserCredentials> credentials = Optional.of(ALICE);
    private DeviceDirectory devices;

    @BeforeEach
    void devices() throws IOException {
        devices = DeviceDirectory.trustingExternalBroker();
        devices.useRegister(DeviceRegister.open(dir.resolve("register")));
    }

    private GatewayKeyService service() {
        final ApprovalService approval = request -> {
            asked.add(request);
            final Promise<ApprovalDecision> p = Promise.promise();
            answers.add(p);
            return p.future();
        };
        final UserSide side = new UserSide(approval, () -> credentials,
                (realm, why) -> Future.failedFuture(new AssertionError("the user is not prompted")), devices,
                (entity, requestId, status, reason) -> outcomes.add(entity + " " + status + " " + reason));
        return new GatewayKeyService(SETTINGS, side, new SharedState(Optional.empty(), 1), 0, cloud, pan, clock, codec);
    }

    private void reply(final GatewayKeyService service, final Buffer raw) {
        service.cloudReply(codec.decode(raw), raw);
    }

    private void approve() {
        answers.get(answers.size() - 1).complete(ApprovalDecision.APPROVED);
    }

    /** The PNE's proxy request approved, answered and delivered. */
    private void proxiedKey(final GatewayKeyService service, final KeyRequest request) throws Exception {
        service.keyRequest(request);
        approve();
        reply(service, cloud.challenge(cloud.last(), cloud.newNonce(), false));
        try (SecretBytes euKey = SecretBytes.copyOf(new byte[32])) {
            reply(service, cloud.deliver(cloud.last(), euKey));
        }
    }

    @Test
    void release_askedByTheUser_answeredWithHa1AndMethodKeyRelease_200() {
        final GatewayKeyService service = service();
        final Future<StatusReport> released = service.release(SENSOR);
        final KeyRelease first = cloud.lastRelease();
        assertTrue(first.proxy() && first.authorization().isEmpty() && first.userId().equals(Optional.of(ALICE.userId())),
                "the first release names the user and carries no answer yet");
        reply(service, cloud.challenge(first, cloud.newNonce()));
        final KeyRelease answered = cloud.lastRelease();
        assertEquals(first.requestId(), answered.requestId());
        reply(service, cloud.released(answered, Status.OK, "released"));
        assertEquals(Status.OK, released.result().status());
        assertEquals(List.of("sensor-1 200 released by the user"), outcomes);
        assertEquals(List.of(), asked, "the user's own action is the consent: no second question");
    }

    @Test
    void release_withTheCachedNonce_takesTheNextNonceCountAfterAKeyRequest() throws Exception {
        final GatewayKeyService service = service();
        service.keyRequest(KeyRequest.proxy(RequestId.of("r1"), SENSOR, Optional.empty()));
        approve();
        reply(service, cloud.challenge(cloud.last(), cloud.newNonce(), false));
        try (SecretBytes euKey = SecretBytes.copyOf(new byte[32])) {
            reply(service, cloud.deliver(cloud.last(), euKey));
        }
        final Future<StatusReport> released = service.release(SENSOR);
        final KeyRelease answered = cloud.lastRelease();
        assertEquals("00000002", answered.authorization().orElseThrow().nc(), "one cloud round trip, the next count");
        reply(service, cloud.released(answered, Status.OK, "released"));
        assertEquals(Status.OK, released.result().status());
    }

    @Test
    void release_confirmed_theGatewayForgetsTheDevicesCachedKeyDelivery() throws Exception {
        final GatewayKeyService service = service();
        final KeyRequest request = KeyRequest.proxy(RequestId.of("r1"), SENSOR, Optional.empty());
        proxiedKey(service, request);
        service.keyRequest(request);
        assertEquals(Status.OK, pan.lastDelivery().status(), "before the release a retry gets the cached key");
        final Future<StatusReport> released = service.release(SENSOR);
        reply(service, cloud.challenge(cloud.lastRelease(), cloud.newNonce()));
        reply(service, cloud.released(cloud.lastRelease(), Status.OK, "released"));
        assertEquals(Status.OK, released.result().status());
        final int questions = asked.size();
        service.keyRequest(request);
        assertEquals(questions + 1, asked.size(), "after it the same request is a new one: the user is asked again");
        assertEquals(Status.PENDING, pan.lastStatus().status());
    }

    @Test
    void release_refusedByTheServer_passedOnAndTheCachedKeyDeliveryKept() throws Exception {
        final GatewayKeyService service = service();
        final KeyRequest request = KeyRequest.proxy(RequestId.of("r1"), SENSOR, Optional.empty());
        proxiedKey(service, request);
        final Future<StatusReport> released = service.release(SENSOR);
        reply(service, cloud.challenge(cloud.lastRelease(), cloud.newNonce()));
        reply(service, cloud.released(cloud.lastRelease(), Status.CONFLICT, "entity is assigned to another user"));
        assertEquals(Status.CONFLICT, released.result().status());
        service.keyRequest(request);
        assertEquals(Status.OK, pan.lastDelivery().status(), "nothing was forgotten");
    }

    @Test
    void release_withoutCredentials_403AndNothingReachesTheCloud() {
        credentials = Optional.empty();
        final StatusReport s = service().release(SENSOR).result();
        assertEquals(Status.FORBIDDEN, s.status());
        assertEquals(List.of(), cloud.releases());
    }

    @Test
    void release_serverUnreachable_503() {
        cloud.disconnect();
        assertEquals(Status.UNAVAILABLE, service().release(SENSOR).result().status());
    }

    @Test
    void panRelease_pneWithUi_approvedThenChallengeAndFinalStatusReachThePneByteForByte() {
        final GatewayKeyService service = service();
        final KeyRelease release = KeyRelease.of(RequestId.of("u1"), PHONE, false, ALICE.userId());
        service.keyRelease(release);
        assertEquals(List.of(), cloud.releases(), "nothing goes to the cloud before the user approved");
        assertEquals(Status.PENDING, pan.lastStatus().status());
        approve();
        assertEquals(release, cloud.lastRelease(), "the PNE's release goes to the server as it is");
        final Buffer challenge = cloud.challenge(release, cloud.newNonce());
        reply(service, challenge);
        assertEquals("challenge", pan.last().leaf());
        assertArrayEquals(challenge.getBytes(), pan.last().payload().getBytes());
        final KeyRelease answered = DigestClient.answer(release, "alice", ALICE.ha1(), "cpns",
                codec.decode(challenge, org.cpnskeys.protocol.Challenge.class).nonce(), "00000001",
                DigestClient.cnonce());
        service.keyRelease(answered);
        assertEquals(answered, cloud.lastRelease(), "the PNE's answer goes to the server as it is");
        final Buffer done = Buffer.buffer(" " + cloud.released(answered, Status.OK, "released")
                .toString(StandardCharsets.UTF_8));
        reply(service, done);
        assertEquals("status", pan.last().leaf());
        assertEquals(" {", pan.last().payload().getString(0, 2), "the very bytes the server sent");
        service.keyRelease(answered);
        assertEquals(" {", pan.last().payload().getString(0, 2), "a retry gets the same final answer");
        assertEquals(2, cloud.releases().size());
    }

    @Test
    void panRelease_proxyFromTheDevice_refused403WithoutAskingOrSending() {
        final GatewayKeyService service = service();
        service.keyRelease(KeyRelease.of(RequestId.of("p1"), SENSOR, true, ALICE.userId()));
        assertEquals(Status.FORBIDDEN, pan.lastStatus().status());
        assertEquals(List.of(), asked);
        assertEquals(List.of(), cloud.releases());
    }

    @Test
    void panRelease_deniedByTheUser_403AndNothingSent() {
        final GatewayKeyService service = service();
        service.keyRelease(KeyRelease.of(RequestId.of("u1"), PHONE, false, ALICE.userId()));
        answers.get(0).complete(ApprovalDecision.DENIED);
        assertEquals(Status.FORBIDDEN, pan.lastStatus().status());
        assertEquals(List.of(), cloud.releases());
    }
}
