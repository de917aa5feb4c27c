package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.server.ServerConfig;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack ([H] 4b): guesses pipelined into a cluster. A gateway sends 50 wrong digest answers for one user back to
 * back to two clustered servers (the broker's shared subscription hands them to either; in a burst often all to
 * one). Were the lockout a check made before each answer is judged and a count written after it, as it was with
 * the counts in the cluster's maps (asynchronous there), all 50 would pass the check together and each would be
 * reported wrong. Each server reserves an attempt before it judges it, and a wrong answer that the failures
 * counted before it (by either server) already refused is answered 429, not 401: at most the limit of the 50 are
 * reported wrong, and the pair stays locked out, for the right password too.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class PipelinedGuessesInClusterAttackIT {
    /** The server's default: failures of one user through one gateway before that pair is locked out. */
    private static final int PAIR_LIMIT = 5;
    private static final String PASSWORD = "pipelined-password";

    @TempDir
    Path dir;

    @Test
    @DisplayName("4b 50 wrong answers pipelined into a cluster of two servers: at most the limit are reported wrong, the pair is locked out")
    void fiftyWrongAnswersIntoTwoClusteredServers_atMostTheLimitReportedWrong() throws Exception {
        try (TwoClusteredServers servers = new TwoClusteredServers(dir, PASSWORD, "erin");
                CloudGatewayClient gw = new CloudGatewayClient(servers.a, GatewayId.of("pipeline-gw"))) {
            final EntityId entity = EntityId.of("pipeline-dev");
            final String nonce = gw.challengeNonce(CloudGatewayClient.request(entity, "pl-c", "erin", true));
            final Ha1 guess = DigestClient.ha1("erin", ServerConfig.DEFAULT_REALM, "a-guess".toCharArray());
            final List<JsonObject> answers = new ArrayList<>();
            final Set<String> ids = new HashSet<>();
            for (int i = 1; i <= 50; i++) {
                answers.add(CloudGatewayClient.answered(CloudGatewayClient.request(entity, "pl-" + i, "erin", true),
                        ServerConfig.DEFAULT_REALM, nonce, DigestClient.nc(i), "plcnonce-" + i, guess));
                ids.add("pl-" + i);
            }
            final long a0 = servers.a.handledRequests();
            final long b0 = servers.b.handledRequests();
            gw.sendAll(answers);
            Fixture.eventually(Duration.ofSeconds(90), "50 replies", () -> gw.received().stream()
                    .filter(r -> ids.contains(r.json().getString("requestId"))).count() >= 50);
            int wrongReported = 0;
            int locked = 0;
            for (final CloudGatewayClient.Reply r : gw.received()) {
                if (ids.contains(r.json().getString("requestId"))) {
                    final int status = r.json().getInteger("status");
                    wrongReported += status == 401 ? 1 : 0;
                    locked += status == 429 ? 1 : 0;
                }
            }
            System.out.printf("pipelined guesses: A took %d, B took %d; %d reported wrong, %d refused as locked out%n",
                    servers.a.handledRequests() - a0, servers.b.handledRequests() - b0, wrongReported, locked);
            assertEquals(50, wrongReported + locked, "every answer refused, as wrong or as locked out");
            assertTrue(wrongReported <= PAIR_LIMIT, "answers reported wrong: " + wrongReported);

            final Ha1 right = DigestClient.ha1("erin", ServerConfig.DEFAULT_REALM, PASSWORD.toCharArray());
            for (int i = 51; i <= 54; i++) {
                final String id = "pl-right-" + i;
                gw.send(CloudGatewayClient.answered(CloudGatewayClient.request(entity, id, "erin", true),
                        ServerConfig.DEFAULT_REALM, nonce, DigestClient.nc(i), "plcnonce-" + i, right));
                final JsonObject reply = gw.awaitFor(id).json();
                assertEquals(429, reply.getInteger("status"), "locked out, on either server: " + reply.encode());
            }
        }
    }
}
