package org.cpnskeys.server.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A man in the middle between the CPNS Server and its PostgreSQL store ({@link PgManInTheMiddle}: a fake
 * server with a certificate for the right names from another CA, which asks for the password in clear text).
 * With {@code verify-full} the server refuses it before sending anything: neither the role's password nor its
 * name reaches the attacker. So it does when it was told to trust another CA, and when it reaches the real
 * server by a name the certificate does not hold. A plain connection, the only kind before TLS was supported,
 * hands the attacker the password.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, timeUnit = TimeUnit.SECONDS)
class PgTlsAttackIT {
    private static final String STORE_PASSWORD = "the-store-password-7f3c";
    private static TestPostgres postgres;
    private static Path ca;
    private PgManInTheMiddle mitm;

    @BeforeAll
    static void start() {
        postgres = TestPostgres.startOrSkip();
        ca = TestPostgres.tlsCaOrSkip();
    }

    @AfterAll
    static void stop() {
        if (postgres != null) {
            postgres.close();
        }
    }

    @BeforeEach
    void attacker() throws Exception {
        mitm = PgManInTheMiddle.start();
    }

    @AfterEach
    void stopAttacker() throws Exception {
        mitm.close();
    }

    private PgStoreConfig throughAttacker(final PgTls tls) {
        return new PgStoreConfig("127.0.0.1", mitm.port(), "cpns", "cpns", Optional.of(STORE_PASSWORD), 1, tls);
    }

    /** Verifies that verify-full refuses a server whose certificate (right names) comes from another CA. */
    @Test
    void verifyFull_manInTheMiddleWithAnotherCertificate_refusedBeforeThePasswordIsSent(final Vertx vertx,
            final VertxTestContext ctx) {
        PgEuKeyRepository.open(vertx, throughAttacker(PgTls.verifyFull(ca)))
                .onComplete(ctx.failing(e -> ctx.verify(() -> {
                    assertNothingGivenAway();
                    ctx.completeNow();
                })));
    }

    /** Verifies that verify-ca refuses it too: its certificate does not chain to the trusted CA. */
    @Test
    void verifyCa_manInTheMiddleWithAnotherCertificate_refusedBeforeThePasswordIsSent(final Vertx vertx,
            final VertxTestContext ctx) {
        PgEuKeyRepository.open(vertx, throughAttacker(new PgTls(PgTls.Mode.VERIFY_CA, Optional.of(ca))))
                .onComplete(ctx.failing(e -> ctx.verify(() -> {
                    assertNothingGivenAway();
                    ctx.completeNow();
                })));
    }

    /**
     * Verifies what the attacker gets from a plain connection (the only kind before TLS was supported, and
     * what {@code --pg-ssl-mode disable} still does): the role's name and password. This is why a plain link is
     * refused to anything but a loopback address unless asked for by name.
     */
    @Test
    void plainText_manInTheMiddle_readsTheStorePassword(final Vertx vertx, final VertxTestContext ctx) {
        PgEuKeyRepository.open(vertx, throughAttacker(PgTls.PLAIN))
                .onComplete(ctx.failing(e -> ctx.verify(() -> {
                    assertEquals(List.of("plain"), mitm.handshakes());
                    assertEquals(List.of(STORE_PASSWORD), mitm.capturedPasswords());
                    ctx.completeNow();
                })));
    }

    /** Verifies that a server told to trust another CA refuses the real PostgreSQL (whose CA it does not trust). */
    @Test
    void verifyFull_anotherCaTrusted_realServerRefused(@TempDir final Path dir, final Vertx vertx,
            final VertxTestContext ctx) throws Exception {
        final Path otherCa = mitm.writeAttackerCa(dir.resolve("other-ca.pem"));
        final PgStoreConfig db = postgres.newDatabase();
        PgEuKeyRepository.open(vertx, db.withTls(PgTls.verifyFull(otherCa)))
                .onComplete(ctx.failing(e -> ctx.verify(() -> {
                    assertTrue(String.valueOf(e.getMessage()).contains("EUKey store"), e.getMessage());
                    assertFalse(String.valueOf(e.getMessage()).contains(db.password().orElseThrow()), e.getMessage());
                    ctx.completeNow();
                })));
    }

    /**
     * Verifies that verify-full refuses the real server reached by a name its certificate does not hold
     * (127.0.0.2, relayed to it byte for byte), while verify-ca, which skips the name, gets through the same
     * relay: the name is the only thing wrong.
     */
    @Test
    void verifyFull_nameNotInCertificate_refused(final Vertx vertx, final VertxTestContext ctx) throws Exception {
        final PgStoreConfig db = postgres.newDatabase();
        final PgManInTheMiddle.Relay relay = PgManInTheMiddle.relay("127.0.0.2",
                new InetSocketAddress(db.host(), db.port()));
        final PgStoreConfig byOtherName = new PgStoreConfig("127.0.0.2", relay.port(), db.database(), db.user(),
                db.password(), 1, PgTls.verifyFull(ca));
        PgEuKeyRepository.open(vertx, byOtherName)
                .transform(ar -> {
                    ctx.verify(() -> assertTrue(ar.failed(), "verify-full accepted a name not in the certificate"));
                    return PgEuKeyRepository.open(vertx,
                            byOtherName.withTls(new PgTls(PgTls.Mode.VERIFY_CA, Optional.of(ca))));
                })
                .compose(store -> store.close())
                .eventually(() -> closeQuietly(relay))
                .onComplete(ctx.succeedingThenComplete());
    }

    private static Future<Void> closeQuietly(final AutoCloseable c) {
        try {
            c.close();
            return Future.succeededFuture();
        } catch (Exception e) {
            return Future.failedFuture(e);
        }
    }

    private void assertNothingGivenAway() {
        assertFalse(mitm.handshakes().isEmpty(), "the client never reached the attacker");
        assertTrue(mitm.handshakes().stream().allMatch(h -> h.startsWith("tls-failed")), mitm.handshakes().toString());
        assertEquals(List.of(), mitm.capturedPasswords());
        assertEquals(List.of(), mitm.capturedUsers());
    }
}
