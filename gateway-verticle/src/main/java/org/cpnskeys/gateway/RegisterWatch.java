package org.cpnskeys.gateway;

import java.util.function.Supplier;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.broker.EmbeddedBroker;
import org.cpnskeys.gateway.pan.DeviceRegister;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Revocations and enrolments by 'cpns gateway revoke/enroll' in another process reach the gateway within
 * {@link GatewayApplication#REGISTER_RELOAD_MS}, with any PAN broker: the gateway then serves no Key Request of a
 * revoked device, and its embedded broker refuses the device's next CONNECT and disconnects it if it is connected.
 */
final class RegisterWatch {
    private static final Logger LOG = LoggerFactory.getLogger(RegisterWatch.class);

    private final DeviceRegister register;
    /** The embedded PAN broker once it runs; null with an external one (or before it starts). */
    private final Supplier<EmbeddedBroker> broker;
    /** The register generation whose revocations were last applied to connected PNEs (event loop only). */
    private long sweptGeneration;

    private RegisterWatch(final DeviceRegister register, final Supplier<EmbeddedBroker> broker) {
        this.register = register;
        this.broker = broker;
    }

    /**
     * Re-reads {@code register} every {@link GatewayApplication#REGISTER_RELOAD_MS} ms (on a worker) and disconnects
     * the PNEs it newly revokes; returns the timer.
     */
    static long watch(final Vertx vertx, final DeviceRegister register, final Supplier<EmbeddedBroker> broker) {
        final RegisterWatch watch = new RegisterWatch(register, broker);
        return vertx.setPeriodic(GatewayApplication.REGISTER_RELOAD_MS, t -> vertx.executeBlocking(() -> {
            register.reloadIfChanged();
            return register.generation();
        }).compose(watch::disconnectRevoked)
                .onFailure(e -> LOG.warn("cannot re-read the device register {}: {}", register.file(), e.getMessage())));
    }

    /** After the register changed, disconnects the PNEs connected with a certificate it now lists as revoked. */
    private Future<Void> disconnectRevoked(final long generation) {
        final EmbeddedBroker pan = broker.get();
        if (generation == sweptGeneration || pan == null) {
            return Future.succeededFuture();
        }
        sweptGeneration = generation;
        return Future.fromCompletionStage(pan.disconnectUnless(certificate -> !register.isRevoked(certificate)))
                .onSuccess(n -> {
                    if (n > 0) {
                        LOG.info("disconnected {} revoked PNE(s) from the PAN broker", n);
                    }
                }).mapEmpty();
    }
}
