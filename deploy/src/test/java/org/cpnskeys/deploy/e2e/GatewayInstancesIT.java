package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;

import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.gateway.approval.ApprovalDecision;
import org.cpnskeys.protocol.tls.IssuedIdentity;
import org.cpnskeys.deploy.fleet.PneFleet;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.server.store.KeyInfo;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway running four verticle instances: a PNE's repeated Key Request reaches several of them (shared PAN
 * subscription), yet it is one request: asked once, one key, and every repeat answered with that key.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GatewayInstancesIT {
    @TempDir
    Path dir;

    @Test
    @DisplayName("four gateway instances: twelve repeats of one Key Request before and after approval, one approval,"
            + " one key, every repeat answered with it")
    void repeatsAcrossInstances_oneRequest() throws Exception {
        final LocalSystem.Options options = LocalSystem.Options.defaults().withGatewayConfig(c -> c.withInstances(4));
        try (Fixture f = new Fixture(dir, options, (realm, why) -> Future.succeededFuture(Optional.empty()))) {
            final EntityId entity = EntityId.of("hold-instances");
            final IssuedIdentity id = f.system.gateway().enroll(entity);
            final RequestId request = RequestId.of("instances-r1");
            try (PneFleet fleet = PneFleet.connect("localhost", f.system.panPort(),
                    f.system.gateway().certificateAuthority().caCertificatePem(),
                    List.of(new PneFleet.Member(entity, id.toPkcs12("p".toCharArray()), "p".toCharArray())))) {
                for (int i = 0; i < 12; i++) {
                    fleet.requestKey(0, request);
                }
                Fixture.eventually(Duration.ofSeconds(30), "the user is asked", () -> f.user.wasAsked(entity));
                f.user.decide(entity, ApprovalDecision.APPROVED);
                assertEquals(200, fleet.requestKey(0, request).get(60, TimeUnit.SECONDS));
                final String kcv = fleet.receivedKeyCheckValues().get(entity + "/" + request);
                for (int i = 0; i < 12; i++) {
                    assertEquals(200, fleet.requestKey(0, request).get(30, TimeUnit.SECONDS), "repeat " + i);
                    assertEquals(kcv, fleet.receivedKeyCheckValues().get(entity + "/" + request), "repeat " + i);
                }
                assertEquals(Optional.of(kcv), Fixture.await(f.system.server().keyCheckValue(entity, request)));
            }
            assertEquals(1, f.user.asked.size(), "one approval asked: " + f.user.asked);
            final List<KeyInfo> keys = Fixture.await(f.system.server().store().list());
            assertEquals(1, keys.stream().filter(k -> k.entityId().equals(entity)).count(), "one key: " + keys);
        }
    }
}
