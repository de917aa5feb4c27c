package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.protocol.tls.IssuedIdentity;
import org.cpnskeys.deploy.fleet.PneFleet;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.server.store.KeyInfo;
import org.cpnskeys.server.store.KeyState;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** P8: a fleet of MQTT devices on a client nobody here wrote joins at once, each getting its own EUKey. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FleetIT {
    @TempDir
    Path dir;

    @Test
    @DisplayName("P8 fifty PNEs on the HiveMQ MQTT client join at once over mutual TLS: fifty EUKeys, one per entity")
    void fleet_fiftyAtOnce_eachGetsOneKey() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            final List<PneFleet.Member> members = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                final EntityId e = EntityId.of("fleet-" + i);
                final IssuedIdentity id = f.system.gateway().enroll(e);
                members.add(new PneFleet.Member(e, id.toPkcs12("p".toCharArray()), "p".toCharArray()));
            }
            try (PneFleet fleet = PneFleet.connect("localhost", f.system.panPort(),
                    f.system.gateway().certificateAuthority().caCertificatePem(), members)) {
                final List<CompletableFuture<Integer>> answers = new ArrayList<>();
                for (int i = 0; i < fleet.size(); i++) {
                    answers.add(fleet.requestKey(i, RequestId.of("fleet-r" + i)));
                }
                for (final CompletableFuture<Integer> a : answers) {
                    assertEquals(200, a.get(60, TimeUnit.SECONDS));
                }
            }
            final List<KeyInfo> keys = Fixture.await(f.system.server().store().list());
            assertEquals(50, keys.stream().filter(k -> k.entityId().value().startsWith("fleet-")
                    && k.state() == KeyState.ACTIVE).count());
        }
    }
}
