package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.vertx.core.json.JsonObject;

import org.cpnskeys.gateway.GatewayConfig;
import org.cpnskeys.gateway.approval.ApprovalDecision;
import org.cpnskeys.protocol.EntityId;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The gateway caps the Key Requests waiting for the user: a flood cannot pile up approvals without bound. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ApprovalCapIT {
    @TempDir
    Path dir;

    @Test
    @DisplayName("pending approvals are capped per gateway: the next request gets 429 with retryAfter, and is served once the user decides")
    void pendingApprovals_capped429() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            final EntityId entity = EntityId.of("hold-flood");
            try (RecordingPne pne = new RecordingPne(f.system, entity).connect()) {
                for (int i = 0; i < GatewayConfig.MAX_PENDING_APPROVALS; i++) {
                    pne.sendKeyRequest(RecordingPne.proxyRequest(entity, "flood-" + i));
                }
                Fixture.eventually(Duration.ofSeconds(30), "all waiting for the user",
                        () -> f.system.gateway().health().pendingApprovals() == GatewayConfig.MAX_PENDING_APPROVALS);
                pne.sendKeyRequest(RecordingPne.proxyRequest(entity, "flood-over"));
                final JsonObject refused = pne.await(Duration.ofSeconds(30), s -> s.leaf().equals("key-delivery")
                        && "flood-over".equals(s.json().getString("requestId"))).json();
                assertEquals(429, refused.getInteger("status"));
                assertTrue(refused.getInteger("retryAfter") > 0);
                f.user.decide(entity, ApprovalDecision.APPROVED);
                Fixture.eventually(Duration.ofSeconds(30), "the held requests decided",
                        () -> f.system.gateway().health().pendingApprovals() == 0);
                pne.sendKeyRequest(RecordingPne.proxyRequest(entity, "flood-over"));
                assertEquals(200, pne.await(Duration.ofSeconds(30), s -> s.leaf().equals("key-delivery")
                        && "flood-over".equals(s.json().getString("requestId"))
                        && s.json().getInteger("status") == 200).json().getInteger("status"));
            }
        }
    }
}
