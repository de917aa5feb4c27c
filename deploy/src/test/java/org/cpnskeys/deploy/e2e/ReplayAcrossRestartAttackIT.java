package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.deploy.ServerProcess;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.server.GatewayRegistry;
import org.cpnskeys.server.ServerApplication;
import org.cpnskeys.server.ServerConfig;
import org.cpnskeys.server.auth.HtdigestFile;
import org.cpnskeys.server.store.KeyInfo;
import org.cpnskeys.server.store.KeyState;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack ([H] 4i): a digest answer replayed after the server restarted. The attacker recorded a PNE-with-UI's
 * Key Request and its digest answer on the cloud leg (what the relaying gateway sends, untouched), waits for the
 * server process to restart (an orderly SIGTERM, or a SIGKILL), and sends the same answer again within the
 * nonce's lifetime: once under a new request ID (a new key would supersede the owner's), once under the
 * original one. Both must be refused (401, no key), the entity must keep exactly the owner's key, ACTIVE: single
 * use of a (nonce, nc) pair lives in the store, written with the key it authorised, not in the memory of the
 * process that accepted it.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ReplayAcrossRestartAttackIT {
    private static final String PASSWORD = "replay-restart-password";
    private static final GatewayId GATEWAY = GatewayId.of("victim-gw");

    @TempDir
    Path dir;

    @Test
    @DisplayName("4i an answer captured before a SIGTERM restart is refused after it, with a new and with the same request ID")
    void capturedAnswer_replayedAfterSigtermRestart_refusedAndOwnersKeyKept() throws Exception {
        replayAfterRestart(false);
    }

    @Test
    @DisplayName("4i an answer captured before a SIGKILL restart is refused after it, with a new and with the same request ID")
    void capturedAnswer_replayedAfterSigkillRestart_refusedAndOwnersKeyKept() throws Exception {
        replayAfterRestart(true);
    }

    private void replayAfterRestart(final boolean sigkill) throws Exception {
        final Path serverDir = dir.resolve("server");
        HtdigestFile.addOrReplace(serverDir.resolve("users.htdigest"), UserId.of("alice"), ServerConfig.DEFAULT_REALM,
                PASSWORD.toCharArray());
        final String token = GatewayRegistry.open(serverDir.resolve("gateways")).register(GATEWAY);
        final int port = freePort();
        final Ha1 ha1 = DigestClient.ha1("alice", ServerConfig.DEFAULT_REALM, PASSWORD.toCharArray());
        final EntityId entity = EntityId.of("phone-1");
        final String ownersKeyId;
        final JsonObject captured;
        ServerProcess server = start(serverDir, port, "before");
        try {
            try (CloudGatewayClient gw = new CloudGatewayClient(port, GATEWAY, token, cloudCa(serverDir))) {
                // the owner's PNE with UI: Key Request, challenge, digest answer; the attacker records the answer
                final JsonObject request = CloudGatewayClient.request(entity, "owner-r1", "alice", false);
                gw.send(request);
                final CloudGatewayClient.Reply challenge = gw.awaitFor("owner-r1");
                assertEquals("challenge", challenge.leaf(), challenge.json()::encode);
                captured = CloudGatewayClient.answered(request, ServerConfig.DEFAULT_REALM,
                        challenge.json().getString("nonce"), "00000001", "0a4f113b", ha1);
                gw.send(captured);
                final JsonObject delivered = gw.awaitFor("owner-r1").json();
                assertEquals(200, delivered.getInteger("status"), delivered::encode);
                ownersKeyId = delivered.getString("keyId");
            }
            if (sigkill) {
                server.kill();
            } else {
                server.stop(Duration.ofSeconds(30));
            }
            assertFalse(server.alive(), "the first server process ended");
            server = start(serverDir, port, "after");
            try (CloudGatewayClient attacker = new CloudGatewayClient(port, GATEWAY, token, cloudCa(serverDir))) {
                final JsonObject underNewId = captured.copy().put("requestId", "attacker-r2");
                attacker.send(underNewId);
                assertRefused(attacker.awaitFor("attacker-r2").json(), "the answer under a new request ID");
                attacker.send(captured);
                assertRefused(attacker.awaitFor("owner-r1").json(), "the answer under its own request ID");
            }
        } finally {
            server.stop(Duration.ofSeconds(30));
        }
        final List<KeyInfo> keys = storedKeys(serverDir);
        final List<KeyInfo> ofEntity = keys.stream().filter(k -> k.entityId().equals(entity)).toList();
        assertEquals(1, ofEntity.size(), "one key stored for the entity: " + ofEntity);
        assertEquals(ownersKeyId, ofEntity.get(0).keyId().value(), "the owner's key");
        assertEquals(KeyState.ACTIVE, ofEntity.get(0).state(), "the owner's key is not superseded");
    }

    private static void assertRefused(final JsonObject reply, final String what) {
        assertEquals(401, reply.getInteger("status"), () -> what + ": " + reply.encode());
        assertTrue(!reply.containsKey("wrappedKey") && !reply.containsKey("euKey"), what + " carries no key");
    }

    /** The cloud CA the server made in its data folder at first start (its broker's certificate chains to it). */
    private static String cloudCa(final Path serverDir) throws IOException {
        return org.cpnskeys.broker.CloudTls.cloudCa(serverDir).caCertificatePem();
    }

    private ServerProcess start(final Path serverDir, final int port, final String name)
            throws IOException, InterruptedException {
        return ServerProcess.start("server-" + name, System.getProperty("java.class.path"), List.of("-Xmx256m"),
                List.of("--data", serverDir.toString(), "--port", Integer.toString(port), "--management-port", "-1",
                        "--admin-port", "-1"),
                dir.resolve("server-" + name + ".log"), Duration.ofSeconds(90));
    }

    /** The store as a stopped server left it, read by a server of its own on the same data folder. */
    private List<KeyInfo> storedKeys(final Path serverDir) {
        final Vertx vertx = Vertx.vertx();
        try {
            final ServerApplication check = Fixture.await(ServerApplication.start(vertx,
                    ServerConfig.defaults(serverDir, 0)));
            try {
                return Fixture.await(check.store().list());
            } finally {
                Fixture.await(check.stop());
            }
        } finally {
            Fixture.await(vertx.close());
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
