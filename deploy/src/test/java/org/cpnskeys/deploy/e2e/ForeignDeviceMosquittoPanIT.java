package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import io.vertx.core.json.JsonObject;

import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.gateway.pan.PanCrlFiles;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The foreign PNE against a gateway whose PAN broker is Debian's Mosquitto, started from the shipped
 * {@code deploy/mosquitto/pan} configuration with the TLS files and CRL that {@code cpns gateway pan-tls} wrote;
 * the gateway connects to it as {@code cpns-gateway} with a password, as {@code --pan-broker-host/-port/
 * -password-file} make it do. Revocation reaches Mosquitto through the CRL that {@code cpns gateway revoke}
 * rewrites, picked up on SIGHUP.
 */
@DisplayName("foreign PNE, Mosquitto PAN broker from deploy/mosquitto/pan")
class ForeignDeviceMosquittoPanIT extends ForeignPneContract {
    private MosquittoPan mosquitto;

    @Override
    Fixture startSystem(final Path dir) throws Exception {
        MosquittoPan.require();
        final Path system = dir.resolve("system");
        final Path tls = Files.createDirectories(dir.resolve("pan-broker"));
        final String written = cpns(0, "gateway", "pan-tls", "--data", system.resolve("gateway").toString(),
                "--out", tls.toString());
        assertTrue(written.contains(PanCrlFiles.DEFAULT_NAME), written);
        final String password = MosquittoPan.randomPassword();
        mosquitto = MosquittoPan.start(tls, password);
        return new Fixture(system, LocalSystem.Options.defaults().withExternalPan(new LocalSystem.ExternalPan(
                MqttEndpoint.plain("127.0.0.1", mosquitto.gatewayPort, MosquittoPan.GATEWAY_USER, password),
                mosquitto.tlsPort)));
    }

    @Override
    void afterRevoke() throws Exception {
        mosquitto.hangUp();
    }

    @Override
    boolean readsCrl() {
        return true;
    }

    @Override
    void stopBroker() throws Exception {
        if (mosquitto != null) {
            mosquitto.close();
        }
    }

    /**
     * Attack (issue [H] 4c) where the broker still admits a revoked device: Mosquitto has not re-read the CRL (no
     * SIGHUP yet), so the device connects and asks for a key. The gateway, which watches its register, must not
     * ask the user nor act as proxy for it.
     */
    @Test
    @DisplayName("4c a revoked device Mosquitto still admits (no SIGHUP yet) gets 403; the user is not asked, the server never sees it")
    void revokedDeviceStillAdmittedByBroker_gets403_userNotAsked() throws Exception {
        final String entity = "mosq-late-rev-1";
        final Path device = enrollBundle(entity);
        cpns(0, "gateway", "revoke", "--data", gatewayData(), "--entity", entity);
        Fixture.eventually(Duration.ofSeconds(5), "the gateway read its register",
                () -> f.system.gateway().deviceRegister().revokedOnly(EntityId.of(entity)));
        final JsonObject delivery = requestKey(device, entity, device.resolve(entity + "-key.pem"), "1");
        assertEquals(403, delivery.getInteger("status"), delivery.encode());
        assertFalse(f.user.wasAsked(EntityId.of(entity)), "the user was asked about a revoked device");
        assertTrue(f.serverKcv(entity).isEmpty(), "the server issued a key for a revoked device");
    }
}
