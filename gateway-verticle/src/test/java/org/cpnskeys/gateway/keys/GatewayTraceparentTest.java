package org.cpnskeys.gateway.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.gateway.DeviceDirectory;
import org.cpnskeys.gateway.approval.ApprovalDecision;
import org.cpnskeys.gateway.credentials.UserCredentials;
import org.cpnskeys.gateway.pan.DeviceRegister;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.TraceParent;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway with tracing off (the default): it makes no span, sends no {@code traceparent} when the PNE sent
 * none, and passes on the PNE's unchanged when it sent one, on the cloud leg and in the answers it makes itself
 * (PROTOCOL.md section 5.1).
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class GatewayTraceparentTest {
    private static final UserCredentials ALICE = new UserCredentials(UserId.of("alice"), "cpns",
            DigestClient.ha1("alice", "cpns", "secret".toCharArray()));
    private static final EntityId SENSOR = EntityId.of("sensor-1");
    private static final KeyServiceSettings SETTINGS = new KeyServiceSettings("cpns", false, Duration.ofMinutes(2), 2,
            Duration.ofSeconds(5), 2, 100, Duration.ofMinutes(10));
    private static final TraceParent PNE_SPAN = TraceParent.parse(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");

    @TempDir
    Path dir;

    private final MessageCodec codec = new MessageCodec();
    private final FakeCloudServer cloud = new FakeCloudServer(ALICE);
    private final RecordingPan pan = new RecordingPan();
    private final Promise<ApprovalDecision> approval = Promise.promise();
    private GatewayKeyService service;

    @BeforeEach
    void service() throws IOException {
        final DeviceDirectory devices = DeviceDirectory.trustingExternalBroker();
        devices.useRegister(DeviceRegister.open(dir.resolve("register")));
        final UserSide side = new UserSide(r -> approval.future(), () -> Optional.of(ALICE),
                (realm, why) -> Future.failedFuture(new AssertionError("the user is not prompted")), devices,
                (entity, requestId, status, reason) -> { });
        service = new GatewayKeyService(SETTINGS, side, new SharedState(Optional.empty(), 1), 0, cloud, pan,
                new FakeScheduler(), codec);
    }

    /** A proxy request through approval, challenge and delivery; the traceparent of every message to the PNE. */
    private List<Optional<String>> assignment(final Optional<TraceParent> fromPne) throws Exception {
        service.keyRequest(KeyRequest.proxy(RequestId.of("r1"), SENSOR, Optional.empty()), fromPne);
        approval.complete(ApprovalDecision.APPROVED);
        final Buffer challenge = cloud.challenge(cloud.last(), cloud.newNonce(), false);
        service.cloudReply(codec.decode(challenge), challenge);
        final byte[] key = new byte[32];
        java.util.Arrays.fill(key, (byte) 7);
        try (SecretBytes euKey = SecretBytes.copyOf(key)) {
            final Buffer delivered = cloud.deliver(cloud.last(), euKey);
            service.cloudReply(codec.decode(delivered), delivered);
        }
        assertEquals(Status.OK, pan.lastDelivery().status());
        return pan.sent().stream().map(s -> Optional.ofNullable(new JsonObject(s.payload()).getString("traceparent")))
                .toList();
    }

    @Test
    void tracingOff_pneSentNoTraceparent_gatewaySendsNoneAnywhere() throws Exception {
        final List<Optional<String>> toPne = assignment(Optional.empty());
        assertTrue(cloud.traceparents().size() >= 2, "the request and its digest answer went to the cloud");
        cloud.traceparents().forEach(t -> assertEquals(Optional.empty(), t, "a traceparent on the cloud leg"));
        assertFalse(toPne.isEmpty());
        toPne.forEach(t -> assertEquals(Optional.empty(), t, "a traceparent to the PNE"));
    }

    @Test
    void tracingOff_pneSentATraceparent_gatewayPassesItOnUnchanged() throws Exception {
        final List<Optional<String>> toPne = assignment(Optional.of(PNE_SPAN));
        assertTrue(cloud.traceparents().size() >= 2, "the request and its digest answer went to the cloud");
        cloud.traceparents().forEach(t -> assertEquals(Optional.of(PNE_SPAN), t, "the cloud leg"));
        assertTrue(toPne.size() >= 2, "the 202 while the user decided and the Key Delivery: " + toPne);
        toPne.forEach(t -> assertEquals(Optional.of(PNE_SPAN.text()), t, "what the gateway made for the PNE"));
    }
}
