package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.protocol.crypto.KeyCheckValue;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.server.ServerApplication;
import org.cpnskeys.server.ServerConfig;
import org.cpnskeys.server.ServerMetrics;
import org.cpnskeys.server.auth.HtdigestFile;
import org.cpnskeys.server.store.PgStoreConfig;
import org.cpnskeys.server.store.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Attack: someone who can write the server's database (a stolen backup restored, a database role with write
 * access, an operator's mistake) changes a stored EUKey's row (its user, request ID, gateway, entity or Key ID)
 * or moves a sealed key from one row to another, to have the server deliver a key to whoever the row now names.
 * The server must refuse to open such a row: the requester gets a Key Delivery without key (500), and the server
 * reports it (an ERROR log line without key material, the {@code storedKeyUnopenable} metric, an audit line).
 * Runs against both stores; the attacker plays a PN GW on the cloud broker with a foreign MQTT client.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class StoredKeyTamperAttackIT {
    private static final char[] ALICE_PASSWORD = "alice-tamper-password".toCharArray();
    private static final char[] BOB_PASSWORD = "bob-tamper-password".toCharArray();

    @TempDir
    static Path root;

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    @DisplayName("on SQLite")
    class OnSqlite extends Scenarios {
        @Override
        ServerConfig store(final ServerConfig config) {
            return config;
        }

        @Override
        void tamper(final String sql) throws Exception {
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("server/eukeys.db"));
                    Statement s = c.createStatement()) {
                s.execute("PRAGMA busy_timeout = 10000");
                assertEquals(1, s.executeUpdate(sql), sql);
            }
        }
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    @DisplayName("on PostgreSQL")
    class OnPostgres extends Scenarios {
        private TestPostgres postgres;
        private PgStoreConfig database;

        @Override
        ServerConfig store(final ServerConfig config) {
            postgres = TestPostgres.startOrSkip();
            database = postgres.newDatabase();
            return config.withPostgres(database);
        }

        @Override
        void tamper(final String sql) {
            Fixture.await(postgres.executeAsAdmin(vertx, database.database(), sql));
        }

        @Override
        void closeStore() {
            if (postgres != null) {
                postgres.close();
            }
        }
    }

    /** The scenarios, run once per store. */
    abstract static class Scenarios {
        Path dir;
        final Vertx vertx = Vertx.vertx();
        final AtomicInteger unopenable = new AtomicInteger();
        final ListAppender<ILoggingEvent> logs = new ListAppender<>();
        ServerApplication server;
        CloudGatewayClient gw;
        Ha1 alice;
        Ha1 bob;

        /** The configuration for this store (and the store made ready). */
        abstract ServerConfig store(ServerConfig config);

        /** Runs one statement on the store behind the server's back; it must change exactly one row. */
        abstract void tamper(String sql) throws Exception;

        void closeStore() {
        }

        @BeforeAll
        void start() throws Exception {
            dir = root.resolve(getClass().getSimpleName());
            final Path users = dir.resolve("server/users.htdigest");
            HtdigestFile.addOrReplace(users, UserId.of("alice"), ServerConfig.DEFAULT_REALM, ALICE_PASSWORD);
            HtdigestFile.addOrReplace(users, UserId.of("bob"), ServerConfig.DEFAULT_REALM, BOB_PASSWORD);
            alice = DigestClient.ha1("alice", ServerConfig.DEFAULT_REALM, ALICE_PASSWORD);
            bob = DigestClient.ha1("bob", ServerConfig.DEFAULT_REALM, BOB_PASSWORD);
            logs.start();
            root().addAppender(logs);
            final ServerMetrics metrics = new ServerMetrics() {
                @Override
                public void storedKeyUnopenable() {
                    unopenable.incrementAndGet();
                }
            };
            server = Fixture.await(ServerApplication.start(vertx,
                    store(ServerConfig.defaults(dir.resolve("server"), 0)), metrics));
            Fixture.eventually(Duration.ofSeconds(30), "server connected to its broker", server::ready);
            gw = new CloudGatewayClient(server, GatewayId.of("tamper-gw"));
        }

        @AfterAll
        void stop() {
            root().detachAppender(logs);
            if (gw != null) {
                gw.close();
            }
            try {
                if (server != null) {
                    Fixture.await(server.stop());
                }
                Fixture.await(vertx.close());
            } finally {
                closeStore();
            }
        }

        private static ch.qos.logback.classic.Logger root() {
            return (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        }

        /** A proxied Key Request with its digest answer; the final reply. */
        JsonObject request(final String entity, final String requestId, final String user, final Ha1 ha1)
                throws Exception {
            final JsonObject request = CloudGatewayClient.request(org.cpnskeys.protocol.EntityId.of(entity),
                    requestId, user, true);
            gw.send(request);
            final CloudGatewayClient.Reply challenge = gw.awaitFor(requestId);
            assertEquals("challenge", challenge.leaf(), challenge.json().encode());
            gw.send(CloudGatewayClient.answered(request, ServerConfig.DEFAULT_REALM,
                    challenge.json().getString("nonce"), "00000001", "cnonce-" + requestId, ha1));
            final CloudGatewayClient.Reply reply = gw.awaitFor(requestId);
            assertEquals("key-delivery", reply.leaf(), reply.json().encode());
            return reply.json();
        }

        /** A key assigned honestly: its Key ID and EUKey (opened as the gateway would). */
        record Assigned(String keyId, byte[] euKey) {
        }

        Assigned assign(final String entity, final String requestId, final String user, final Ha1 ha1)
                throws Exception {
            final JsonObject d = request(entity, requestId, user, ha1);
            assertEquals(200, d.getInteger("status"), d.encode());
            try (SecretBytes key = CloudGatewayClient.open(d, entity, requestId, ha1)) {
                return new Assigned(d.getString("keyId"), key.reveal());
            }
        }

        /**
         * The tampered row's request is refused without key and reported: a Key Delivery 500 without key material,
         * one more {@code storedKeyUnopenable}, an ERROR line and an audit line naming the entity and Key ID, neither
         * holding the EUKey.
         */
        void assertRefusedAndReported(final JsonObject reply, final String entity, final String keyId,
                final byte[] euKey, final int unopenableBefore, final int logsBefore) throws Exception {
            assertEquals(500, reply.getInteger("status"), reply.encode());
            assertFalse(reply.containsKey("wrappedKey"), reply.encode());
            assertFalse(reply.containsKey("euKey"), reply.encode());
            assertTrue(unopenable.get() > unopenableBefore, "storedKeyUnopenable reported");
            final List<String> secrets = secretForms(euKey);
            final List<ILoggingEvent> errors = new ArrayList<>();
            final List<ILoggingEvent> events = logged();
            for (final ILoggingEvent e : events.subList(logsBefore, events.size())) {
                final String text = e.getFormattedMessage() + (e.getThrowableProxy() == null ? ""
                        : e.getThrowableProxy().getMessage());
                secrets.forEach(s -> assertFalse(text.contains(s), "key material in the log: " + text));
                if (e.getLevel() == Level.ERROR && text.contains(entity) && text.contains(keyId)) {
                    errors.add(e);
                }
            }
            assertFalse(errors.isEmpty(), "an ERROR line naming " + entity + " and " + keyId);
            final Path audit = dir.resolve("server/audit.jsonl");
            Fixture.eventually(Duration.ofSeconds(10), "an audit line for " + entity, () -> auditLines(audit).stream()
                    .anyMatch(l -> "stored-key-unopenable".equals(l.getString("event"))
                            && entity.equals(l.getString("entity")) && keyId.equals(l.getString("keyId"))));
            final String all = Files.readString(audit);
            secrets.forEach(s -> assertFalse(all.contains(s), "key material in the audit log"));
        }

        /** What was logged so far (the appender appends under its own lock, from the server's threads). */
        List<ILoggingEvent> logged() {
            synchronized (logs) {
                return new ArrayList<>(logs.list);
            }
        }

        private static List<String> secretForms(final byte[] euKey) {
            try (SecretBytes k = SecretBytes.copyOf(euKey)) {
                return List.of(HexFormat.of().formatHex(euKey), HexFormat.of().withUpperCase().formatHex(euKey),
                        Base64.getEncoder().encodeToString(euKey), Base64.getUrlEncoder().withoutPadding()
                                .encodeToString(euKey), KeyCheckValue.of(k));
            }
        }

        private static List<JsonObject> auditLines(final Path audit) {
            try {
                final List<JsonObject> out = new ArrayList<>();
                for (final String line : Files.readAllLines(audit, StandardCharsets.UTF_8)) {
                    if (!line.isBlank()) {
                        out.add(new JsonObject(line));
                    }
                }
                return out;
            } catch (java.io.IOException e) {
                return List.of();
            }
        }

        @Test
        @DisplayName("control: an untouched row's retry is delivered again with the same key")
        void untouchedRow_retried_sameKeyDelivered() throws Exception {
            final Assigned first = assign("ok-dev", "ok-r1", "alice", alice);
            final Assigned again = assign("ok-dev", "ok-r1", "alice", alice);
            assertEquals(first.keyId(), again.keyId());
            assertEquals(HexFormat.of().formatHex(first.euKey()), HexFormat.of().formatHex(again.euKey()));
        }

        @Test
        @DisplayName("a row whose user was changed to bob: bob's request for it gets no key (alice's key is not his)")
        void userChanged_newUsersRequest_refusedAndReported() throws Exception {
            final Assigned k = assign("tu-dev", "tu-r1", "alice", alice);
            tamper("UPDATE eukey SET user_id = 'bob' WHERE entity_id = 'tu-dev'");
            final int before = unopenable.get();
            final int logsBefore = logged().size();
            final JsonObject reply = request("tu-dev", "tu-r1", "bob", bob);
            assertRefusedAndReported(reply, "tu-dev", k.keyId(), k.euKey(), before, logsBefore);
        }

        @Test
        @DisplayName("a row whose request ID was changed: a request with that ID does not get the old key")
        void requestChanged_requestWithNewId_refusedAndReported() throws Exception {
            final Assigned k = assign("tr-dev", "tr-r1", "alice", alice);
            tamper("UPDATE eukey SET request_id = 'tr-r2' WHERE entity_id = 'tr-dev'");
            final int before = unopenable.get();
            final int logsBefore = logged().size();
            final JsonObject reply = request("tr-dev", "tr-r2", "alice", alice);
            assertRefusedAndReported(reply, "tr-dev", k.keyId(), k.euKey(), before, logsBefore);
        }

        @Test
        @DisplayName("a row whose gateway was changed: its retry gets no key")
        void gatewayChanged_retry_refusedAndReported() throws Exception {
            final Assigned k = assign("tg-dev", "tg-r1", "alice", alice);
            tamper("UPDATE eukey SET gateway_id = 'elsewhere-gw' WHERE entity_id = 'tg-dev'");
            final int before = unopenable.get();
            final int logsBefore = logged().size();
            final JsonObject reply = request("tg-dev", "tg-r1", "alice", alice);
            assertRefusedAndReported(reply, "tg-dev", k.keyId(), k.euKey(), before, logsBefore);
        }

        @Test
        @DisplayName("a row moved to another entity: a request for that entity gets no key")
        void entityChanged_requestForNewEntity_refusedAndReported() throws Exception {
            final Assigned k = assign("te-a", "te-r1", "alice", alice);
            tamper("UPDATE eukey SET entity_id = 'te-b' WHERE entity_id = 'te-a'");
            final int before = unopenable.get();
            final int logsBefore = logged().size();
            final JsonObject reply = request("te-b", "te-r1", "alice", alice);
            assertRefusedAndReported(reply, "te-b", k.keyId(), k.euKey(), before, logsBefore);
        }

        @Test
        @DisplayName("a row whose Key ID was changed: its retry gets no key")
        void keyIdChanged_retry_refusedAndReported() throws Exception {
            final Assigned k = assign("tk-dev", "tk-r1", "alice", alice);
            final String changed = "x" + k.keyId();
            tamper("UPDATE eukey SET key_id = '" + changed + "' WHERE entity_id = 'tk-dev'");
            final int before = unopenable.get();
            final int logsBefore = logged().size();
            final JsonObject reply = request("tk-dev", "tk-r1", "alice", alice);
            assertRefusedAndReported(reply, "tk-dev", changed, k.euKey(), before, logsBefore);
        }

        @Test
        @DisplayName("alice's sealed key copied into bob's row: bob's retry gets no key")
        void sealedKeyMovedToAnotherRow_retry_refusedAndReported() throws Exception {
            final Assigned victim = assign("tb-alice", "tb-r1", "alice", alice);
            final Assigned own = assign("tb-bob", "tb-r2", "bob", bob);
            tamper("UPDATE eukey SET sealed_key = (SELECT sealed_key FROM eukey WHERE entity_id = 'tb-alice')"
                    + " WHERE entity_id = 'tb-bob'");
            final int before = unopenable.get();
            final int logsBefore = logged().size();
            final JsonObject reply = request("tb-bob", "tb-r2", "bob", bob);
            assertRefusedAndReported(reply, "tb-bob", own.keyId(), victim.euKey(), before, logsBefore);
        }
    }
}
