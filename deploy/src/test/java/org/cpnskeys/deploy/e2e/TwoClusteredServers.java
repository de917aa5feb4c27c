package org.cpnskeys.deploy.e2e;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.SecretFiles;
import org.cpnskeys.server.ServerApplication;
import org.cpnskeys.server.ServerConfig;
import org.cpnskeys.server.auth.HtdigestFile;
import org.cpnskeys.server.cluster.ClusterConfig;
import org.cpnskeys.server.cluster.ServerCluster;
import org.cpnskeys.server.store.PgStoreConfig;
import org.cpnskeys.server.store.TestPostgres;

/**
 * Two CPNS Servers in one Vert.x cluster (two clustered Vert.x instances in this JVM, Hazelcast on loopback with
 * the members listed) on one new PostgreSQL database and one folder of shared secrets; A embeds the cloud broker,
 * B uses it. Skipped without PostgreSQL ({@link TestPostgres#startOrSkip}).
 */
final class TwoClusteredServers implements AutoCloseable {
    final TestPostgres postgres;
    final List<String> members;
    final Vertx va;
    final Vertx vb;
    final ServerApplication a;
    final ServerApplication b;

    /** Starts both; {@code password} is the password of every user named. */
    TwoClusteredServers(final Path dir, final String password, final String... users) throws Exception {
        postgres = TestPostgres.startOrSkip();
        final PgStoreConfig db = postgres.newDatabase();
        final Path shared = SecretFiles.ownerOnlyDirectory(dir.resolve("shared-secrets"));
        SecretFiles.loadOrCreate(shared.resolve(ServerConfig.MASTER_KEY_FILE), 32).destroy();
        SecretFiles.loadOrCreate(shared.resolve(ServerConfig.NONCE_KEY_FILE), 32).destroy();
        final Path htdigest = dir.resolve("users.htdigest");
        for (final String user : users) {
            HtdigestFile.addOrReplace(htdigest, UserId.of(user), ServerConfig.DEFAULT_REALM, password.toCharArray());
        }
        final int pa = freePort();
        final int pb = freePort();
        members = List.of("127.0.0.1:" + pa, "127.0.0.1:" + pb);
        final Future<Vertx> joinA = ServerCluster.join(ClusterConfig.of("127.0.0.1", pa, members));
        final Future<Vertx> joinB = ServerCluster.join(ClusterConfig.of("127.0.0.1", pb, members));
        Fixture.await(Future.all(joinA, joinB));
        va = joinA.result();
        vb = joinB.result();
        a = Fixture.await(ServerApplication.start(va, ServerConfig.defaults(dir.resolve("server-a"), 0)
                .withHtdigestFile(htdigest).withPostgres(db).withSharedSecrets(shared)));
        final byte[] raw = Files.readAllBytes(dir.resolve("server-a").resolve("cloud-server.secret"));
        final String brokerPassword = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        b = Fixture.await(ServerApplication.start(vb, ServerConfig.defaults(dir.resolve("server-b"), 0)
                .withHtdigestFile(htdigest).withPostgres(db).withSharedSecrets(shared)
                .withExternalBroker(a.cloudEndpoint(ServerApplication.BROKER_USER, brokerPassword))));
    }

    @Override
    public void close() {
        final List<Future<?>> steps = new ArrayList<>();
        steps.add(b.stop());
        steps.add(a.stop());
        Fixture.await(Future.join(steps).transform(x -> Future.join(va.close(), vb.close())));
        postgres.close();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
