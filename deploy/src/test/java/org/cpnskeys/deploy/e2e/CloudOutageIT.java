package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;

import org.cpnskeys.pne.PneApplication;
import org.cpnskeys.pne.PneOutcome;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.server.ServerApplication;
import org.cpnskeys.server.ServerConfig;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The gateway queues approved requests while the cloud is unreachable and finishes them when it returns. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CloudOutageIT {
    @TempDir
    Path dir;

    @Test
    @DisplayName("an approved request made while the CPNS Server is down completes when it comes back (PNE told 202 meanwhile)")
    void serverDown_requestQueued_completesAfterRestart() {
        try (Fixture f = new Fixture(dir)) {
            final int port = f.system.server().cloudPort();
            Fixture.await(f.system.server().stop());
            Fixture.eventually(Duration.ofSeconds(30), "the gateway saw the cloud go",
                    () -> !f.system.gateway().health().cloudConnected());
            final Future<PneOutcome> outcome = f.system.pne(EntityId.of("outage-1"), Optional.empty(), Optional.empty())
                    .compose(c -> PneApplication.requestKey(f.vertx, c));
            Fixture.eventually(Duration.ofSeconds(60), "the request is queued at the gateway",
                    () -> f.system.gateway().health().queuedForCloud() == 1);
            assertFalse(outcome.isComplete(), "the PNE waits instead of being refused");
            final ServerApplication again = Fixture.await(ServerApplication.start(f.vertx,
                    ServerConfig.defaults(dir.resolve("server"), port)));
            try {
                final PneOutcome o = Fixture.await(outcome);
                assertTrue(o.stored(), o.status() + " " + o.reason());
                assertEquals(Fixture.await(again.keyCheckValue(EntityId.of("outage-1"))), o.keyCheckValue());
            } finally {
                Fixture.await(again.stop());
            }
        }
    }
}
