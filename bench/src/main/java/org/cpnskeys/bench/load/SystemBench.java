package org.cpnskeys.bench.load;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.deploy.Cli;
import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.deploy.fleet.PneFleet;
import org.cpnskeys.gateway.approval.RuleBasedApproval;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.tls.IssuedIdentity;

/**
 * The whole system in this process beside the echo harness ({@link EchoBrokers}), both warm, measured in
 * alternating windows ({@link Interleaved}): closed loop, {@code --rate}, or a {@code --sweep} of rates.
 */
final class SystemBench {
    private final BenchCommand options;
    private final Path dir;

    SystemBench(final BenchCommand options, final Path dir) {
        this.options = options;
        this.dir = dir;
    }

    int run() throws Exception {
        final Measurement measurement = new Measurement(options, dir);
        final Vertx vertx = Cli.newVertx();
        LocalSystem system = null;
        String result = null;
        try {
            system = Cli.await(LocalSystem.start(vertx, dir, LocalSystem.Options.defaults()
                    .withGatewayConfig(c -> c.withInstances(options.gatewayInstances)), RuleBasedApproval.parse("allow:*"),
                    (realm, why) -> Future.succeededFuture(Optional.empty())), "starting the system", Duration.ofMinutes(2));
            final List<PneFleet.Member> members = new ArrayList<>();
            for (int i = 0; i < measurement.members(); i++) {
                final EntityId e = EntityId.of("bench-" + i);
                final IssuedIdentity id = system.gateway().enroll(e);
                final char[] pw = "bench".toCharArray();
                members.add(new PneFleet.Member(e, id.toPkcs12(pw), pw));
            }
            preload(system);
            result = measurement.run(system.panPort(), system.gateway().certificateAuthority(), members,
                    "the whole system in this JVM, " + (vertx.isNativeTransportEnabled() ? "native (epoll)" : "NIO")
                            + " transport");
            return Measurement.clean(result) ? 0 : 1;
        } finally {
            if (system != null) {
                Cli.await(system.stop(), "stopping");
            }
            Cli.await(vertx.close(), "closing");
            // printed after the system stopped, so that nothing it logs while stopping follows the RESULT line
            if (result != null) {
                System.out.flush();
                System.err.flush();
                System.out.println(result);
            }
        }
    }

    /**
     * Stores {@code --preload} keys (as the server would: sealed blobs with entity, user, request, key id) as the
     * past keys of the bench's own PNEs, spread over them: the worst case for the per-entity look-ups of every
     * assignment that follows (each PNE starts with a history of preload / PNEs superseded keys).
     */
    private void preload(final LocalSystem system) {
        if (options.preload <= 0) {
            return;
        }
        final long t0 = System.nanoTime();
        final int batch = 1000;
        for (int done = 0; done < options.preload; done += batch) {
            final List<Future<?>> all = new ArrayList<>();
            for (int i = done; i < Math.min(options.preload, done + batch); i++) {
                final byte[] sealed = new byte[60];
                java.util.concurrent.ThreadLocalRandom.current().nextBytes(sealed);
                all.add(system.server().store().assign(new org.cpnskeys.server.store.NewKey(EntityId.of("bench-" + i % options.pnes),
                        system.user(), org.cpnskeys.protocol.GatewayId.of("home-gw"), RequestId.of("preload-" + i),
                        org.cpnskeys.protocol.KeyId.of("preload-" + i), true, sealed,
                        org.cpnskeys.server.seal.MasterKeySeal.V2, java.time.Instant.now()),
                        // each preloaded key authorised by its own (nonce, nc) pair, as an assignment's is
                        new org.cpnskeys.server.store.DigestUse(new byte[40], i + 1L, java.time.Instant.now().plusSeconds(300)),
                        org.cpnskeys.server.store.Admission.ANY));
            }
            Cli.await(Future.all(all), "preloading the store", Duration.ofMinutes(5));
        }
        System.out.printf("preloaded %d EUKeys in %.1f s%n", options.preload, (System.nanoTime() - t0) / 1e9);
    }
}
