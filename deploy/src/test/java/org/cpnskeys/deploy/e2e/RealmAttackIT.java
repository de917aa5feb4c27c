package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.deploy.Cpns;
import org.cpnskeys.deploy.ServerCommand;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.server.ServerApplication;
import org.cpnskeys.server.ServerConfig;
import org.cpnskeys.server.auth.DeploymentRealm;
import org.cpnskeys.server.auth.HtdigestFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/**
 * One realm name for every deployment means one HA1 per (user, password) everywhere: a user who reuses a
 * password at two deployments has the same HA1 at both, so an HA1 or a digest answer taken from one is good
 * at, or can be checked offline against, the other. Played here with the commands an operator runs
 * ({@code cpns user add}, the realm {@code cpns server} starts with) on new data folders: each deployment has
 * its own realm, so the same user and password give two HA1 values, and the one taken from a deployment is
 * refused by the other. A deployment with users keeps their realm across restarts, and a realm named by the
 * operator that is not the users' stops the start with the reason.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RealmAttackIT {
    private static final String PASSWORD = "the same password 2024";
    private static final AtomicInteger SEQ = new AtomicInteger();
    @TempDir
    Path dir;
    private final Vertx vertx = Vertx.vertx();
    private final List<ServerApplication> servers = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (final ServerApplication s : servers) {
            await(s.stop());
        }
        await(vertx.close());
    }

    @Test
    void twoNewDeployments_sameUserAndPassword_differentHa1AndTheOneTakenFromAIsRefusedByB() throws Exception {
        final Path a = dir.resolve("a/server");
        final Path b = dir.resolve("b/server");
        assertEquals(0, userAdd(a, "alice"));
        assertEquals(0, userAdd(b, "alice"));
        final String realmA = serverRealm(a);
        final String realmB = serverRealm(b);
        assertTrue(realmA.startsWith(DeploymentRealm.PREFIX) && realmB.startsWith(DeploymentRealm.PREFIX),
                realmA + " " + realmB);
        assertNotEquals(realmA, realmB, "two new deployments got one realm");
        final Ha1 ha1A = HtdigestFile.read(a.resolve("users.htdigest")).ha1(UserId.of("alice"), realmA).orElseThrow();
        final Ha1 ha1B = HtdigestFile.read(b.resolve("users.htdigest")).ha1(UserId.of("alice"), realmB).orElseThrow();
        assertFalse(ha1A.equalsHa1(ha1B), "the same user and password gave the same HA1 at two deployments");

        final ServerApplication serverB = start(b, realmB);
        try (CloudGatewayClient gw = new CloudGatewayClient(serverB, GatewayId.of("gw-b"))) {
            assertEquals(401, assign(gw, realmB, ha1A).json().getInteger("status"), "deployment A's HA1 opened B");
            assertEquals(401, assign(gw, realmA, ha1A).json().getInteger("status"), "deployment A's realm passed at B");
            final CloudGatewayClient.Reply own = assign(gw, realmB, DigestClient.ha1("alice", realmB,
                    PASSWORD.toCharArray()));
            assertEquals(200, own.json().getInteger("status"), "the user's own password at B: " + own.json());
        }
    }

    @Test
    void newDeployment_realmMadeAtFirstStart_keptAcrossRestartsAndUsedByUserAdd() throws Exception {
        final Path data = dir.resolve("server");
        final String first = serverRealm(data);
        assertEquals(first + "\n", Files.readString(data.resolve(DeploymentRealm.FILE), StandardCharsets.US_ASCII));
        assertEquals(0, userAdd(data, "alice"));
        assertEquals(first, serverRealm(data));
        assertEquals(Set.of(first), HtdigestFile.read(data.resolve("users.htdigest")).realms(),
                "cpns user add used another realm than the server's");
        final ServerApplication server = start(data, first);
        try (CloudGatewayClient gw = new CloudGatewayClient(server, GatewayId.of("gw-1"))) {
            final CloudGatewayClient.Reply r = assign(gw, first, DigestClient.ha1("alice", first, PASSWORD.toCharArray()));
            assertEquals(200, r.json().getInteger("status"), r.json().encode());
        }
    }

    @Test
    void existingUsers_keepTheirRealmAcrossRestarts() throws Exception {
        final Path data = dir.resolve("server");
        // a deployment made before realms were generated: its users are in "cpns"
        HtdigestFile.addOrReplace(data.resolve("users.htdigest"), UserId.of("alice"), "cpns", PASSWORD.toCharArray());
        assertEquals("cpns", serverRealm(data));
        final ServerApplication first = start(data, "cpns");
        try (CloudGatewayClient gw = new CloudGatewayClient(first, GatewayId.of("gw-1"))) {
            assertEquals(200, assign(gw, "cpns", DigestClient.ha1("alice", "cpns", PASSWORD.toCharArray()))
                    .json().getInteger("status"));
        }
        await(first.stop());
        servers.remove(first);
        assertEquals(0, userAdd(data, "bob"));
        assertEquals("cpns", serverRealm(data), "the restart changed the realm of existing users");
        final ServerApplication second = start(data, "cpns");
        try (CloudGatewayClient gw = new CloudGatewayClient(second, GatewayId.of("gw-2"))) {
            assertEquals(200, assign(gw, "cpns", DigestClient.ha1("alice", "cpns", PASSWORD.toCharArray()))
                    .json().getInteger("status"));
        }
        assertEquals(Set.of("cpns"), HtdigestFile.read(data.resolve("users.htdigest")).realms());
    }

    @Test
    void explicitRealmOtherThanTheUsers_startRefusedSayingWhy() throws Exception {
        final Path data = dir.resolve("server");
        HtdigestFile.addOrReplace(data.resolve("users.htdigest"), UserId.of("alice"), "cpns", PASSWORD.toCharArray());
        final IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> serverRealm(data, "--realm", "other"));
        assertTrue(e.getMessage().contains("\"other\"") && e.getMessage().contains("\"cpns\"")
                && e.getMessage().contains("Drop --realm"), e.getMessage());
        assertNotEquals(0, userAdd(data, "bob", "--realm", "other"), "a second realm was added to the file");
        assertEquals(Set.of("cpns"), HtdigestFile.read(data.resolve("users.htdigest")).realms());
        assertEquals("cpns", serverRealm(data, "--realm", "cpns"), "the users' own realm named explicitly");
    }

    private CloudGatewayClient.Reply assign(final CloudGatewayClient gw, final String realm, final Ha1 ha1)
            throws Exception {
        final String id = "realm-r" + SEQ.incrementAndGet();
        final JsonObject request = CloudGatewayClient.request(EntityId.of("pne-" + id), id, "alice", true);
        gw.send(request);
        final CloudGatewayClient.Reply challenge = gw.awaitFor(id);
        assertEquals("challenge", challenge.leaf());
        gw.send(CloudGatewayClient.answered(request, realm, challenge.json().getString("nonce"), "00000001",
                "cn" + id, ha1));
        final CloudGatewayClient.Reply r = gw.awaitFor(id);
        assertEquals("key-delivery", r.leaf(), r.json().encode());
        return r;
    }

    private ServerApplication start(final Path data, final String realm) throws Exception {
        final ServerApplication s = await(ServerApplication.start(vertx, ServerConfig.defaults(data, 0).withRealm(realm)));
        servers.add(s);
        return s;
    }

    /** {@code cpns user add --offline}, as an operator runs it, with the password from a file. */
    private int userAdd(final Path data, final String user, final String... more) throws Exception {
        final Path pw = dir.resolve("pw-" + SEQ.incrementAndGet());
        Files.writeString(pw, PASSWORD + "\n", StandardCharsets.UTF_8);
        final List<String> args = new ArrayList<>(List.of("user", "add", "--offline", "--file",
                data.resolve("users.htdigest").toString(), "--password-file", pw.toString()));
        args.addAll(List.of(more));
        args.add(user);
        return Cpns.commandLine().execute(args.toArray(String[]::new));
    }

    /** The realm {@code cpns server --data DATA [more]} starts with. */
    private static String serverRealm(final Path data, final String... more) {
        final List<String> args = new ArrayList<>(List.of("server", "--data", data.toString()));
        args.addAll(List.of(more));
        final List<CommandLine> parsed = Cpns.commandLine().parseArgs(args.toArray(String[]::new)).asCommandLineList();
        return ((ServerCommand) parsed.get(parsed.size() - 1).getCommand()).effectiveRealm();
    }

    private static <T> T await(final Future<T> f) throws Exception {
        return f.await(60, TimeUnit.SECONDS);
    }
}
