package org.cpnskeys.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.cpnskeys.protocol.DigestAuthorization;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.Ha1;

@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class DigestRealmTest {
    private static final String RFC_REALM = "testrealm@host.com";
    private static final String REALM = "cpns@example.org";
    private static final Duration FAST = Duration.ofMillis(50);

    @TempDir
    Path dir;

    private DigestRealm realm;

    @AfterEach
    void closeRealm(final VertxTestContext ctx) {
        (realm == null ? Future.<Void>succeededFuture() : realm.close()).onComplete(ctx.succeedingThenComplete());
    }

    /** The RFC 2617 section 3.5 example's Authorization header. */
    private static DigestAuthorization rfc2617(final String user, final String realm, final String response) {
        return new DigestAuthorization(user, realm, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "/dir/index.html", "auth",
                "00000001", "0a4f113b", response);
    }

    /** A Key Request authorization of {@code user} with {@code password}. */
    private static DigestAuthorization keyRequest(final String user, final String password) {
        final EntityId entity = EntityId.of("pne-1");
        final org.cpnskeys.protocol.RequestId request = org.cpnskeys.protocol.RequestId.of("req-1");
        final org.cpnskeys.protocol.crypto.X25519PublicKey epk = org.cpnskeys.protocol.crypto.X25519.generate()
                .publicKey();
        try (Ha1 ha1 = DigestClient.ha1(user, REALM, password.toCharArray())) {
            return new DigestAuthorization(user, REALM, "n0nce", DigestClient.uri(entity, request, epk), "auth", "00000001",
                    "c0ffee00", DigestClient.keyRequestResponse(ha1, entity, request, epk, "n0nce", "00000001", "c0ffee00"));
        }
    }

    private Path usersFile(final String... userPasswordPairs) throws Exception {
        final Path file = dir.resolve("users.htdigest");
        for (int i = 0; i < userPasswordPairs.length; i += 2) {
            HtdigestFile.addOrReplace(file, UserId.of(userPasswordPairs[i]), REALM, userPasswordPairs[i + 1].toCharArray());
        }
        return file;
    }

    /**
     * Replaces the users file in one step, as an operator's editor would: the new version is written beside it and
     * moved over it, so that a reload never sees a version with some of the new users and not the others.
     */
    private Path replaceUsersFile(final String... userPasswordPairs) throws Exception {
        final Path next = dir.resolve("users.htdigest.next");
        for (int i = 0; i < userPasswordPairs.length; i += 2) {
            HtdigestFile.addOrReplace(next, UserId.of(userPasswordPairs[i]), REALM, userPasswordPairs[i + 1].toCharArray());
        }
        return Files.move(next, dir.resolve("users.htdigest"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    /** Polls {@code condition} every 20 ms, at most 250 times. */
    private static Future<Void> until(final Vertx vertx, final Supplier<Future<Boolean>> condition) {
        final Promise<Void> done = Promise.promise();
        poll(vertx, condition, 250, done);
        return done.future();
    }

    private static void poll(final Vertx vertx, final Supplier<Future<Boolean>> condition, final int left,
            final Promise<Void> done) {
        condition.get().onComplete(ar -> {
            if (ar.succeeded() && ar.result()) {
                done.complete();
            } else if (left == 0) {
                done.fail("condition not reached in time");
            } else {
                vertx.setTimer(20, id -> poll(vertx, condition, left - 1, done));
            }
        });
    }

    private static Future<Boolean> accepted(final Future<Ha1> verified) {
        return verified.map(true).otherwise(false);
    }

    /** Verifies the RFC 2617 section 3.5 example through vertx-auth-htdigest, yielding the user's HA1. */
    @Test
    void verify_rfc2617Example_succeedsWithTheUsersHa1(final Vertx vertx, final VertxTestContext ctx) throws Exception {
        final Path file = dir.resolve("rfc.htdigest");
        HtdigestFile.addOrReplace(file, UserId.of("Mufasa"), RFC_REALM, "Circle Of Life".toCharArray());
        DigestRealm.load(vertx, file, RFC_REALM)
                .compose(r -> {
                    realm = r;
                    return r.verify(rfc2617("Mufasa", RFC_REALM, "6629fae49393a05397450978507c4ef1"), "GET");
                })
                .onComplete(ctx.succeeding(ha1 -> ctx.verify(() -> {
                    assertEquals("939e7578ed9e3c518a452acee763bce9", ha1.hex());
                    ctx.completeNow();
                })));
    }

    /** Verifies that unknown user, wrong response, wrong method and wrong realm all fail the same way. */
    @Test
    void verify_anyFailure_failsWithTheSame401(final Vertx vertx, final VertxTestContext ctx) throws Exception {
        final Path file = dir.resolve("rfc.htdigest");
        HtdigestFile.addOrReplace(file, UserId.of("Mufasa"), RFC_REALM, "Circle Of Life".toCharArray());
        final String good = "6629fae49393a05397450978507c4ef1";
        DigestRealm.load(vertx, file, RFC_REALM)
                .compose(r -> {
                    realm = r;
                    final List<Future<Ha1>> attempts = List.of(
                            r.verify(rfc2617("Simba", RFC_REALM, good), "GET"),
                            r.verify(rfc2617("Mufasa", RFC_REALM, "0629fae49393a05397450978507c4ef1"), "GET"),
                            r.verify(rfc2617("Mufasa", RFC_REALM, good), "POST"),
                            r.verify(rfc2617("Mufasa", "otherrealm@host.com", good), "GET"));
                    return Future.join(attempts).otherwiseEmpty().map(attempts);
                })
                .onComplete(ctx.succeeding(attempts -> ctx.verify(() -> {
                    for (final Future<Ha1> attempt : attempts) {
                        final ProtocolException e = assertInstanceOf(ProtocolException.class, attempt.cause());
                        assertEquals(401, e.status());
                        assertEquals("authentication failed", e.getMessage());
                    }
                    ctx.completeNow();
                })));
    }

    /** Verifies that a malformed file fails the load with a message naming the line. */
    @Test
    void load_brokenFile_failsNamingTheLine(final Vertx vertx, final VertxTestContext ctx) throws Exception {
        final Path file = usersFile("alice", "pw-a");
        Files.writeString(file, Files.readString(file) + "\n# a comment\n");
        DigestRealm.load(vertx, file, REALM).onComplete(ctx.failing(e -> ctx.verify(() -> {
            final InvalidHtdigestFileException invalid = assertInstanceOf(InvalidHtdigestFileException.class, e);
            assertEquals(2, invalid.line());
            assertTrue(e.getMessage().contains("line 2: blank line"), e.getMessage());
            ctx.completeNow();
        })));
    }

    /** Verifies that a file holding another realm than the configured one is refused. */
    @Test
    void load_fileOfAnotherRealm_fails(final Vertx vertx, final VertxTestContext ctx) throws Exception {
        final Path file = usersFile("alice", "pw-a");
        DigestRealm.load(vertx, file, "another-realm").onComplete(ctx.failing(e -> ctx.verify(() -> {
            assertTrue(e.getMessage().contains("line 1: realm"), e.getMessage());
            ctx.completeNow();
        })));
    }

    /** Verifies that a missing file fails the load. */
    @Test
    void load_missingFile_fails(final Vertx vertx, final VertxTestContext ctx) {
        DigestRealm.load(vertx, dir.resolve("nope"), REALM).onComplete(ctx.failing(e -> ctx.completeNow()));
    }

    /** Verifies that an empty file loads and refuses everyone (vertx-auth-htdigest alone would crash on it). */
    @Test
    void verify_emptyFile_fails401(final Vertx vertx, final VertxTestContext ctx) throws Exception {
        final Path file = dir.resolve("users.htdigest");
        Files.writeString(file, "");
        DigestRealm.load(vertx, file, REALM)
                .compose(r -> {
                    realm = r;
                    return r.verify(keyRequest("alice", "pw-a"), DigestClient.METHOD);
                })
                .onComplete(ctx.failing(e -> ctx.verify(() -> {
                    assertEquals(401, assertInstanceOf(ProtocolException.class, e).status());
                    ctx.completeNow();
                })));
    }

    /** Verifies that users added and passwords changed in the file are picked up without a restart. */
    @Test
    void verify_afterFileChanges_usesTheNewUsers(final Vertx vertx, final VertxTestContext ctx) throws Exception {
        final Path file = usersFile("alice", "pw-a");
        DigestRealm.load(vertx, file, REALM, FAST)
                .compose(r -> {
                    realm = r;
                    return accepted(r.verify(keyRequest("bob", "pw-b"), DigestClient.METHOD));
                })
                .compose(bobBefore -> {
                    ctx.verify(() -> assertEquals(false, bobBefore));
                    return vertx.executeBlocking(() -> replaceUsersFile("bob", "pw-b", "alice", "new-a"));
                })
                .compose(f -> until(vertx, () -> accepted(realm.verify(keyRequest("bob", "pw-b"), DigestClient.METHOD))))
                .compose(v -> Future.all(accepted(realm.verify(keyRequest("alice", "new-a"), DigestClient.METHOD)),
                        accepted(realm.verify(keyRequest("alice", "pw-a"), DigestClient.METHOD))))
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    assertEquals(true, r.resultAt(0));
                    assertEquals(false, r.resultAt(1));
                    assertTrue(realm.reloadCount() >= 1);
                    ctx.completeNow();
                })));
    }

    /** Verifies that an invalid new version of the file is refused and the previous users stay in force. */
    @Test
    void verify_afterFileBroken_keepsThePreviousUsers(final Vertx vertx, final VertxTestContext ctx) throws Exception {
        final Path file = usersFile("alice", "pw-a");
        DigestRealm.load(vertx, file, REALM, FAST)
                .compose(r -> {
                    realm = r;
                    return vertx.executeBlocking(() -> {
                        Files.writeString(file, Files.readString(file) + "\n\nbob:" + REALM + ":zz\n");
                        return null;
                    });
                })
                .compose(v -> until(vertx, () -> Future.succeededFuture(realm.rejectedReloadCount() >= 1)))
                .compose(v -> realm.verify(keyRequest("alice", "pw-a"), DigestClient.METHOD))
                .onComplete(ctx.succeeding(ha1 -> ctx.verify(() -> {
                    assertEquals(0, realm.reloadCount());
                    ctx.completeNow();
                })));
    }
}
