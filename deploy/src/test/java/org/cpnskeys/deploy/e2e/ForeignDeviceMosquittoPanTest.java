package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.gateway.pan.PanCrlFiles;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;
import org.junit.jupiter.api.DisplayName;

/**
 * The foreign PNE against a gateway whose PAN broker is Debian's Mosquitto, started from the shipped
 * {@code deploy/mosquitto/pan} configuration with the TLS files and CRL that {@code cpns gateway pan-tls} wrote;
 * the gateway connects to it as {@code cpns-gateway} with a password, as {@code --pan-broker-host/-port/
 * -password-file} make it do. Revocation reaches Mosquitto through the CRL that {@code cpns gateway revoke}
 * rewrites, picked up on SIGHUP.
 */
@DisplayName("foreign PNE, Mosquitto PAN broker from deploy/mosquitto/pan")
class ForeignDeviceMosquittoPanTest extends ForeignPneContract {
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
}
