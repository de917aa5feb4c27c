package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.vertx.core.Future;

import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.gateway.GatewayConfig;
import org.cpnskeys.gateway.credentials.CredentialPrompt;
import org.cpnskeys.gateway.credentials.UserCredentials;
import org.cpnskeys.pne.PneOutcome;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** R6: a proxy request reaching a gateway without the user's credentials is dropped or prompts, by configuration. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MissingCredentialsConformanceIT {
    @TempDir
    Path dir;

    @Test
    @DisplayName("R6 without credentials and configured to drop, the PN GW drops the proxy request: no answer, nothing assigned")
    void r6_drop_noAnswerNothingAssigned() {
        final AtomicInteger prompted = new AtomicInteger();
        final CredentialPrompt prompt = (realm, why) -> {
            prompted.incrementAndGet();
            return Future.succeededFuture(Optional.empty());
        };
        try (Fixture f = new Fixture(dir, LocalSystem.Options.defaults()
                .withoutGatewayCredentials(GatewayConfig.MissingCredentials.DROP), prompt)) {
            final org.cpnskeys.pne.PneConfig c = f.pneConfig("r6-dropped", Optional.empty());
            final PneOutcome o = Fixture.await(org.cpnskeys.pne.PneApplication.requestKey(f.vertx,
                    new org.cpnskeys.pne.PneConfig(c.entityId(), c.pan(), c.login(), c.keyStore(), c.keyStorePassword(),
                            java.time.Duration.ofSeconds(1), 3, c.description(), c.realm())));
            assertEquals(Status.UNAVAILABLE, o.status(), "the PNE never got an answer: " + o.reason());
            assertFalse(o.stored());
            assertEquals(Optional.empty(), f.serverKcv("r6-dropped"));
            assertEquals(0, prompted.get(), "nobody was prompted");
        }
    }

    @Test
    @DisplayName("R6 without credentials and configured to prompt, the PN GW asks the user for them, keeps HA1 and forwards")
    void r6_prompt_userInsertsCredentials_keyDelivered() throws Exception {
        final AtomicInteger prompted = new AtomicInteger();
        final Fixture[] holder = new Fixture[1];
        final CredentialPrompt prompt = (realm, why) -> {
            prompted.incrementAndGet();
            final LocalSystem s = holder[0].system;
            try {
                return Future.succeededFuture(Optional.of(s.gateway().credentials().set(s.user(), realm, s.password())));
            } catch (java.io.IOException e) {
                return Future.failedFuture(e);
            }
        };
        try (Fixture f = new Fixture(dir, LocalSystem.Options.defaults()
                .withoutGatewayCredentials(GatewayConfig.MissingCredentials.PROMPT), prompt)) {
            holder[0] = f;
            final PneOutcome o = f.runPne("r6-prompted", Optional.empty());
            assertTrue(o.stored(), o.reason());
            assertEquals(1, prompted.get());
            final UserCredentials kept = f.system.gateway().credentials().current().orElseThrow();
            assertTrue(kept.ha1().equalsHa1(DigestClient.ha1("alice", "cpns", f.system.password())));
            assertFalse(Files.readString(f.system.gateway().credentials().file()).contains(new String(f.system.password())));
            assertTrue(f.runPne("r6-second", Optional.empty()).stored(), "no second prompt needed");
            assertEquals(1, prompted.get());
        }
    }
}
