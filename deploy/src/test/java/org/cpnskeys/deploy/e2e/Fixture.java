package org.cpnskeys.deploy.e2e;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.gateway.credentials.CredentialPrompt;
import org.cpnskeys.gateway.web.ApprovalPage;
import org.cpnskeys.gateway.web.WebPageConfig;
import org.cpnskeys.pne.LoginPrompt;
import org.cpnskeys.pne.PneApplication;
import org.cpnskeys.pne.PneConfig;
import org.cpnskeys.pne.PneOutcome;
import org.cpnskeys.protocol.EntityId;

/** A running system for one test class, and the waiting helpers the tests share. */
final class Fixture implements AutoCloseable {
    final Vertx vertx = Vertx.vertx();
    final ScriptedApproval user = new ScriptedApproval();
    final LocalSystem system;
    /** The gateway's web page, when the user decides there instead of {@link #user}. */
    final Optional<ApprovalPage> page;

    Fixture(final Path dir, final LocalSystem.Options options, final CredentialPrompt prompt) {
        system = await(LocalSystem.start(vertx, dir, options, user, prompt));
        page = Optional.empty();
    }

    /** A system whose gateway asks its user on its web page (on loopback, any free port). */
    Fixture(final Path dir, final LocalSystem.Options options, final WebPageConfig pageConfig) {
        final ApprovalPage p = new ApprovalPage(vertx, pageConfig);
        system = await(LocalSystem.start(vertx, dir, options, p));
        page = Optional.of(p);
    }

    Fixture(final Path dir) {
        this(dir, LocalSystem.Options.defaults());
    }

    /** A system with these options whose gateway, lacking credentials, never gets them from the user. */
    Fixture(final Path dir, final LocalSystem.Options options) {
        this(dir, options, (realm, why) -> Future.succeededFuture(Optional.empty()));
    }

    PneConfig pneConfig(final String entity, final Optional<LoginPrompt> login) {
        return await(system.pne(EntityId.of(entity), login, Optional.of("test device " + entity)));
    }

    PneOutcome runPne(final String entity, final Optional<LoginPrompt> login) {
        return await(PneApplication.requestKey(vertx, pneConfig(entity, login)));
    }

    Optional<String> serverKcv(final String entity) {
        return await(system.server().keyCheckValue(EntityId.of(entity)));
    }

    static <T> T await(final Future<T> f) {
        try {
            return f.await(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("did not complete: " + e, e);
        }
    }

    /** Waits for a condition, checking every 20 ms, at most {@code max}. */
    static void eventually(final Duration max, final String what, final BooleanSupplier condition) {
        final long end = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within " + max + ": " + what);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
        }
    }

    @Override
    public void close() {
        await(system.stop().transform(x -> vertx.close()));
    }
}
