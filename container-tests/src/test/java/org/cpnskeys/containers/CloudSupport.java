package org.cpnskeys.containers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.gateway.approval.RuleBasedApproval;
import org.cpnskeys.pne.LoginPrompt;
import org.cpnskeys.pne.PneApplication;
import org.cpnskeys.pne.PneOutcome;
import org.cpnskeys.protocol.EntityId;

/** The production server and gateway, in this JVM, around a cloud broker that runs in a container. */
final class CloudSupport implements AutoCloseable {
    final Vertx vertx = Vertx.vertx();
    final LocalSystem system;

    CloudSupport(final Path dir, final LocalSystem.ExternalCloud cloud) {
        this(dir, LocalSystem.Options.defaults().withExternalCloud(cloud));
    }

    CloudSupport(final Path dir, final LocalSystem.Options options) {
        system = await(LocalSystem.start(vertx, dir, options, RuleBasedApproval.parse("allow:*"),
                (realm, why) -> Future.succeededFuture(Optional.empty())));
    }

    Future<PneOutcome> pne(final String entity, final boolean ui) {
        return system.pne(EntityId.of(entity), ui ? Optional.<LoginPrompt>of(system.typedLogin()) : Optional.empty(),
                Optional.of("container test " + entity)).compose(c -> PneApplication.requestKey(vertx, c));
    }

    /** Runs a PNE to its end and checks it holds the key the server stored. */
    void assertAssigned(final String entity, final boolean ui) {
        assertStored(await(pne(entity, ui)));
    }

    void assertStored(final PneOutcome o) {
        assertTrue(o.stored(), o.entityId() + ": " + o.status() + " " + o.reason());
        assertEquals(await(system.server().keyCheckValue(o.entityId())), o.keyCheckValue(), "PNE key = stored key");
    }

    static <T> T await(final Future<T> f) {
        try {
            return f.await(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("did not complete: " + e, e);
        }
    }

    @Override
    public void close() {
        await(system.stop().transform(x -> vertx.close()));
    }
}
