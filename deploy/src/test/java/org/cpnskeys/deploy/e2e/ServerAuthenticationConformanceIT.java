package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.WrappedKey;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.EuKeyWrap;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.protocol.crypto.KeyCheckValue;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.SecretFiles;
import org.cpnskeys.server.auth.HtdigestFile;
import org.cpnskeys.server.auth.NonceService;
import org.cpnskeys.server.store.KeyInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CPNS Server's side (F5-F7, R10-R15) seen from the cloud: the test plays a PN GW acting as proxy with a
 * foreign MQTT client, so it can send exactly what it means to (wrong answers, replays, stale nonces).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServerAuthenticationConformanceIT {
    @TempDir
    static Path dir;
    static CloudGatewaySystem system;
    static Fixture f;
    static CloudGatewayClient gw;
    static Ha1 aliceHa1;
    private static final AtomicInteger SEQ = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        HtdigestFile.addOrReplace(dir.resolve("server/users.htdigest"), UserId.of("frank"), "cpns",
                "frank-password".toCharArray());
        HtdigestFile.addOrReplace(dir.resolve("server/users.htdigest"), UserId.of("grace"), "cpns",
                "grace-password".toCharArray());
        system = CloudGatewaySystem.start(dir, "test-gw");
        f = system.f;
        gw = system.gw;
        aliceHa1 = system.aliceHa1;
    }

    @AfterAll
    static void stop() {
        if (system != null) {
            system.close();
        }
    }

    /** A full proxy exchange: request, challenge, answer; returns the final reply. */
    static CloudGatewayClient.Reply assign(final String entity, final String requestId, final String user, final Ha1 ha1,
            final String cnonce) throws Exception {
        final JsonObject request = CloudGatewayClient.request(EntityId.of(entity), requestId, user, true);
        gw.send(request);
        final CloudGatewayClient.Reply challenge = gw.awaitFor(requestId);
        assertEquals("challenge", challenge.leaf());
        gw.send(CloudGatewayClient.answered(request, "cpns", challenge.json().getString("nonce"), "00000001", cnonce, ha1));
        return gw.awaitFor(requestId);
    }

    static WrappedKey wrapped(final JsonObject delivery) {
        return CloudGatewayClient.wrapped(delivery);
    }

    static EuKeyWrap.Context context(final JsonObject d, final String entity, final String requestId) {
        return CloudGatewayClient.context(d, entity, requestId);
    }

    @Test
    @DisplayName("F7 the server sends the gateway a Key Delivery with the EUKey encrypted under material from the password")
    void f7_deliveryToGateway_wrappedUnderPasswordMaterial() throws Exception {
        final CloudGatewayClient.Reply r = assign("f7-dev", "f7-r1", "alice", aliceHa1, "f7cnonce1");
        assertEquals("key-delivery", r.leaf());
        assertEquals(200, r.json().getInteger("status"));
        assertFalse(r.json().containsKey("euKey"), "never in clear on the cloud");
        try (SecretBytes key = CloudGatewayClient.open(r.json(), "f7-dev", "f7-r1", aliceHa1)) {
            assertEquals(f.serverKcv("f7-dev").orElseThrow(), KeyCheckValue.of(key));
        }
    }

    @Test
    @DisplayName("F5 R11 an unauthenticated Key Request is answered with a digest challenge (realm, nonce, qop auth, MD5)")
    void f5_r11_unauthenticated_challenged() throws Exception {
        gw.send(CloudGatewayClient.request(EntityId.of("r11-dev"), "r11-r1", "alice", true));
        final CloudGatewayClient.Reply c = gw.awaitFor("r11-r1");
        assertEquals("challenge", c.leaf());
        assertEquals(401, c.json().getInteger("status"));
        assertEquals("cpns", c.json().getString("realm"));
        assertEquals("auth", c.json().getString("qop"));
        assertEquals("MD5", c.json().getString("algorithm"));
        assertTrue(c.json().getString("nonce").length() >= 32);
    }

    @Test
    @DisplayName("R10 authentication uses the owner's User ID and password: a wrong password is refused")
    void r10_wrongPassword_refused() throws Exception {
        final Ha1 wrong = DigestClient.ha1("alice", "cpns", "guess".toCharArray());
        final CloudGatewayClient.Reply r = assign("r10-dev", "r10-r1", "alice", wrong, "r10cnonce");
        assertEquals("key-delivery", r.leaf());
        assertEquals(401, r.json().getInteger("status"));
        final CloudGatewayClient.Reply unknown = assign("r10-dev", "r10-r2", "mallory", wrong, "r10cnonce2");
        assertEquals(401, unknown.json().getInteger("status"));
        assertEquals(r.json().getString("reason"), unknown.json().getString("reason"),
                "an unknown user and a wrong password look the same");
    }

    @Test
    @DisplayName("R10 an Entity ID whose key belongs to another user is refused with 409 (users file re-read live)")
    void r10_otherUsersEntity_conflict() throws Exception {
        assertEquals(200, assign("r10-owned", "r10o-r1", "alice", aliceHa1, "r10ocnonce").json().getInteger("status"));
        HtdigestFile.addOrReplace(f.system.dir().resolve("server/users.htdigest"), UserId.of("bob"), "cpns",
                "bob-password".toCharArray());
        final Ha1 bob = DigestClient.ha1("bob", "cpns", "bob-password".toCharArray());
        final JsonObject[] last = new JsonObject[1];
        final long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        do {
            // once a second: the file is checked every 2 s, and failures count toward bob's lockout (5)
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofSeconds(1).toNanos());
            last[0] = assign("r10-owned", "r10o-bob-" + SEQ.incrementAndGet(), "bob", bob, "bobcnonce" + SEQ.get()).json();
        } while (last[0].getInteger("status") == 401 && System.nanoTime() < end);
        assertEquals(409, last[0].getInteger("status"));
        assertFalse(last[0].containsKey("wrappedKey"));
        assertEquals(200, assign("bob-dev", "bob-r1", "bob", bob, "bobcnonceok").json().getInteger("status"));
    }

    @Test
    @DisplayName("R12 on success the server creates the EUKey and stores it with Entity ID and User ID before delivering")
    void r12_created_storedWithEntityAndUser() throws Exception {
        final CloudGatewayClient.Reply r = assign("r12-dev", "r12-r1", "alice", aliceHa1, "r12cnonce");
        assertEquals(200, r.json().getInteger("status"));
        final KeyInfo k = Fixture.await(f.system.server().store().list()).stream()
                .filter(i -> i.entityId().value().equals("r12-dev")).findFirst().orElseThrow();
        assertEquals("alice", k.userId().value());
        assertEquals(r.json().getString("keyId"), k.keyId().value());
        assertEquals("test-gw", k.gatewayId().value());
    }

    @Test
    @DisplayName("R13 on failed authentication the server sends a Key Delivery without EUKey")
    void r13_failure_deliveryWithoutKey() throws Exception {
        final CloudGatewayClient.Reply r = assign("r13-dev", "r13-r1", "alice",
                DigestClient.ha1("alice", "cpns", "nope".toCharArray()), "r13cnonce");
        assertEquals("key-delivery", r.leaf());
        assertEquals(401, r.json().getInteger("status"));
        assertFalse(r.json().containsKey("wrappedKey"));
        assertFalse(r.json().containsKey("euKey"));
        assertFalse(r.json().containsKey("keyId"));
    }

    @Test
    @DisplayName("R14 the server encrypts the EUKey and sends it to the PN GW in a Key Delivery (AES-256-GCM)")
    void r14_encryptedDelivery() throws Exception {
        final CloudGatewayClient.Reply r = assign("r14-dev", "r14-r1", "alice", aliceHa1, "r14cnonce");
        final WrappedKey w = wrapped(r.json());
        assertEquals(EuKeyWrap.ALGORITHM, w.alg());
        assertEquals(12, w.iv().length);
        assertEquals(32 + 16, w.ciphertext().length, "32-byte EUKey plus 16-byte GCM tag");
    }

    @Test
    @DisplayName("R15 the EUKey is encrypted with material calculated from the password: only HA1 of the right password opens it")
    void r15_onlyRightHa1Opens() throws Exception {
        final CloudGatewayClient.Reply r = assign("r15-dev", "r15-r1", "alice", aliceHa1, "r15cnonce");
        final EuKeyWrap.Context ctx = context(r.json(), "r15-dev", "r15-r1");
        CloudGatewayClient.open(r.json(), "r15-dev", "r15-r1", aliceHa1).destroy();
        final SecretBytes shared = CloudGatewayClient.shared(r.json());
        assertThrows(GeneralSecurityException.class, () -> EuKeyWrap.unwrap(wrapped(r.json()),
                DigestClient.ha1("alice", "cpns", "other".toCharArray()), shared, ctx));
    }

    @Test
    @DisplayName("repeated failed authentications lock the user out with 429 and retryAfter, even for the right password; other users unaffected")
    void failedAttempts_lockOut429() throws Exception {
        final Ha1 wrong = DigestClient.ha1("frank", "cpns", "guess".toCharArray());
        for (int i = 0; i < 5; i++) {
            assertEquals(401, assign("lock-dev", "lock-w" + i, "frank", wrong, "lockcnonce" + i).json().getInteger("status"));
        }
        final JsonObject locked = assign("lock-dev", "lock-right", "frank",
                DigestClient.ha1("frank", "cpns", "frank-password".toCharArray()), "lockcnright").json();
        assertEquals(429, locked.getInteger("status"));
        assertTrue(locked.getInteger("retryAfter") > 0);
        assertTrue(locked.getString("reason").contains("frank"), locked.getString("reason"));
        assertFalse(locked.containsKey("wrappedKey"));
        assertEquals(200, assign("unlocked-dev", "unlocked-r1", "alice", aliceHa1, "unlockedcn").json().getInteger("status"));
    }

    @Test
    @DisplayName("a successful authentication forgets the user's earlier failures: 4 wrong, right, 4 wrong, right is never locked out")
    void success_forgetsEarlierFailures() throws Exception {
        final Ha1 wrong = DigestClient.ha1("grace", "cpns", "guess".toCharArray());
        final Ha1 right = DigestClient.ha1("grace", "cpns", "grace-password".toCharArray());
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < 4; i++) {
                assertEquals(401, assign("grace-dev", "grace-w" + round + i, "grace", wrong, "gracecn" + round + i)
                        .json().getInteger("status"));
            }
            assertEquals(200, assign("grace-dev", "grace-right" + round, "grace", right, "gracecnr" + round)
                    .json().getInteger("status"), "round " + round);
        }
    }

    @Test
    @DisplayName("every assignment and refusal is in the audit log (JSON lines, owner-only), never a key, digest or nonce")
    void auditLog_recordsOutcomes_noSecrets() throws Exception {
        final JsonObject ok = assign("audit-dev", "audit-r1", "alice", aliceHa1, "auditcnonce1").json();
        final JsonObject bad = assign("audit-bad", "audit-r2", "alice",
                DigestClient.ha1("alice", "cpns", "nope".toCharArray()), "auditcnonce2").json();
        final Path file = f.system.dir().resolve("server/audit.jsonl");
        final java.util.List<JsonObject> lines = new java.util.ArrayList<>();
        Fixture.eventually(Duration.ofSeconds(10), "both outcomes audited", () -> {
            lines.clear();
            try {
                for (final String l : java.nio.file.Files.readAllLines(file)) {
                    lines.add(new JsonObject(l));
                }
            } catch (java.io.IOException e) {
                return false;
            }
            return lines.stream().anyMatch(l -> "audit-dev".equals(l.getString("entity")))
                    && lines.stream().anyMatch(l -> "audit-bad".equals(l.getString("entity")));
        });
        final JsonObject delivered = lines.stream().filter(l -> "audit-dev".equals(l.getString("entity"))).findFirst().get();
        assertEquals("delivered", delivered.getString("event"));
        assertEquals("test-gw", delivered.getString("gateway"));
        assertEquals("alice", delivered.getString("user"));
        assertEquals(ok.getString("keyId"), delivered.getString("keyId"));
        final JsonObject refused = lines.stream().filter(l -> "audit-bad".equals(l.getString("entity"))).findFirst().get();
        assertEquals(401, refused.getInteger("status"));
        final String text = java.nio.file.Files.readString(file);
        assertFalse(text.contains(wrapped(ok).nonce()), "no nonce in the audit log");
        assertFalse(text.contains("wrappedKey") || text.contains("response") || text.contains("euKey"));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                java.nio.file.Files.getPosixFilePermissions(file)));
        assertFalse(bad.containsKey("keyId"));
    }

    @Test
    @DisplayName("a replayed (nonce, nc) is refused with 401")
    void replayedNonceCount_refused() throws Exception {
        final JsonObject request = CloudGatewayClient.request(EntityId.of("replay-dev"), "replay-r1", "alice", true);
        gw.send(request);
        final String nonce = gw.awaitFor("replay-r1").json().getString("nonce");
        final JsonObject answered = CloudGatewayClient.answered(request, "cpns", nonce, "00000001", "replaycn", aliceHa1);
        gw.send(answered);
        assertEquals(200, gw.awaitFor("replay-r1").json().getInteger("status"));
        gw.send(answered);
        final CloudGatewayClient.Reply again = gw.awaitFor("replay-r1");
        assertEquals(401, again.json().getInteger("status"));
        assertFalse(again.json().containsKey("wrappedKey"));
    }

    @Test
    @DisplayName("a retry with the same requestId returns the same key, never a second one; nonce reuse with nc+1 needs no new challenge")
    void retrySameRequestId_sameKey() throws Exception {
        final JsonObject request = CloudGatewayClient.request(EntityId.of("retry-dev"), "retry-r1", "alice", true);
        gw.send(request);
        final String nonce = gw.awaitFor("retry-r1").json().getString("nonce");
        gw.send(CloudGatewayClient.answered(request, "cpns", nonce, "00000001", "retrycn1", aliceHa1));
        final JsonObject first = gw.awaitFor("retry-r1").json();
        gw.send(CloudGatewayClient.answered(request, "cpns", nonce, "00000002", "retrycn2", aliceHa1));
        final JsonObject second = gw.awaitFor("retry-r1").json();
        assertEquals(200, second.getInteger("status"));
        assertEquals(first.getString("keyId"), second.getString("keyId"));
        try (SecretBytes a = CloudGatewayClient.open(first, "retry-dev", "retry-r1", aliceHa1);
                SecretBytes b = CloudGatewayClient.open(second, "retry-dev", "retry-r1", aliceHa1)) {
            assertTrue(a.equalsSecret(b));
        }
        assertEquals(1, Fixture.await(f.system.server().store().list()).stream()
                .filter(i -> i.entityId().value().equals("retry-dev")).count());
    }

    @Test
    @DisplayName("an expired nonce gets a fresh challenge marked stale")
    void expiredNonce_staleChallenge() throws Exception {
        final SecretBytes nonceKey = SecretFiles.loadOrCreate(f.system.dir().resolve("server/nonce.key"), 32);
        final NonceService past = new NonceService(nonceKey, Duration.ofMinutes(5),
                Clock.fixed(Instant.now().minus(Duration.ofHours(1)), ZoneOffset.UTC));
        final String expired = past.issue(gw.id);
        final JsonObject request = CloudGatewayClient.request(EntityId.of("stale-dev"), "stale-r1", "alice", true);
        gw.send(CloudGatewayClient.answered(request, "cpns", expired, "00000001", "stalecn1", aliceHa1));
        final CloudGatewayClient.Reply c = gw.awaitFor("stale-r1");
        assertEquals("challenge", c.leaf());
        assertTrue(c.json().getBoolean("stale"));
        gw.send(CloudGatewayClient.answered(request, "cpns", c.json().getString("nonce"), "00000001", "stalecn2", aliceHa1));
        assertEquals(200, gw.awaitFor("stale-r1").json().getInteger("status"));
    }

    @Test
    @DisplayName("a nonce issued to another gateway is not accepted (fresh challenge, not stale)")
    void nonceOfAnotherGateway_rechallenged() throws Exception {
        final SecretBytes nonceKey = SecretFiles.loadOrCreate(f.system.dir().resolve("server/nonce.key"), 32);
        final String foreign = new NonceService(nonceKey, Duration.ofMinutes(5), Clock.systemUTC()).issue(GatewayId.of("home-gw"));
        final JsonObject request = CloudGatewayClient.request(EntityId.of("bound-dev"), "bound-r1", "alice", true);
        gw.send(CloudGatewayClient.answered(request, "cpns", foreign, "00000001", "boundcn1", aliceHa1));
        final CloudGatewayClient.Reply c = gw.awaitFor("bound-r1");
        assertEquals("challenge", c.leaf());
        assertFalse(c.json().getBoolean("stale"));
    }

    @Test
    @DisplayName("malformed JSON gets 400 and the server still serves the next request")
    void malformed_400_thenServes() throws Exception {
        gw.send("{\"v\":2,\"type\":\"key-request\",\"requestId\":\"bad-1\",".getBytes(StandardCharsets.UTF_8));
        final CloudGatewayClient.Reply bad = gw.await(r -> "status".equals(r.leaf()));
        assertEquals(400, bad.json().getInteger("status"));
        gw.send(new JsonObject().put("v", 2).put("type", "key-request").put("requestId", "bad-2")
                .put("entityId", "a/b").put("proxy", true));
        assertEquals(400, gw.await(r -> "status".equals(r.leaf()) && "bad-2".equals(r.json().getString("requestId")))
                .json().getInteger("status"));
        assertEquals(200, assign("after-bad", "after-bad-r1", "alice", aliceHa1, "afterbadcn").json().getInteger("status"));
    }
}
