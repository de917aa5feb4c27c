package org.cpnskeys.server.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.server.seal.KeyBinding;
import org.cpnskeys.server.seal.MasterKeySeal;
import org.cpnskeys.server.seal.SealSet;
import org.cpnskeys.server.seal.StoredKeyResealer;
import org.cpnskeys.server.seal.StoredKeySealer;

/**
 * The behaviour every {@link EuKeyRepository} implementation must show. An implementation's test extends this
 * class and says how to open the store on its storage; {@link #openRepository(Vertx)} is called again after a
 * close within one test and must then reach the same data.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, timeUnit = TimeUnit.SECONDS)
public abstract class EuKeyRepositoryContract {
    /** The ID of the audit log whose head the tests store. */
    static final String AUDIT_LOG = "0123456789abcdef0123456789abcdef";

    private static final SecureRandom RANDOM = new SecureRandom();

    /** The repository under test, opened before each test and closed after it. */
    protected EuKeyRepository repo;

    /** Opens the implementation under test on this test's storage. */
    protected abstract Future<? extends EuKeyRepository> openRepository(Vertx vertx);

    @BeforeEach
    void openStore(final Vertx vertx, final VertxTestContext ctx) {
        openRepository(vertx).onComplete(ctx.succeeding(r -> {
            repo = r;
            ctx.completeNow();
        }));
    }

    @AfterEach
    void closeStore(final VertxTestContext ctx) {
        if (repo == null) {
            ctx.completeNow();
            return;
        }
        repo.close().onComplete(ctx.succeedingThenComplete());
    }

    /** The seal id the contract's keys carry unless a test says otherwise (the store treats it as opaque). */
    protected static final int SEAL = 2;

    /** A new key for the entity, user and request, with a unique key ID and random sealed bytes. */
    protected static NewKey key(final String entity, final String user, final String request) {
        return key(entity, user, request, SEAL);
    }

    /** A new key as {@link #key(String, String, String)}, carrying the given seal id. */
    protected static NewKey key(final String entity, final String user, final String request, final int seal) {
        final byte[] sealed = new byte[60];
        RANDOM.nextBytes(sealed);
        return new NewKey(EntityId.of(entity), UserId.of(user), GatewayId.of("gw-" + user), RequestId.of(request),
                KeyId.of(UUID.randomUUID().toString()), true, sealed, seal, Instant.now().truncatedTo(ChronoUnit.MICROS));
    }

    /** Assigns {@code key} on the repository under test, authorised by a fresh (nonce, nc) pair, no failures asked. */
    protected Future<AssignResult> assign(final NewKey key) {
        return assign(repo, key);
    }

    /** Assigns {@code key} on {@code store}, authorised by a fresh (nonce, nc) pair, no failures asked. */
    protected static Future<AssignResult> assign(final EuKeyRepository store, final NewKey key) {
        return store.assign(key, freshUse(), Admission.ANY);
    }

    /** A (nonce, nc) pair never used: a random nonce that expires in five minutes. */
    protected static DigestUse freshUse() {
        final byte[] nonce = new byte[40];
        RANDOM.nextBytes(nonce);
        return new DigestUse(nonce, 1, Instant.now().plusSeconds(300));
    }

    /** Verifies that a key for a new entity is stored as its active key and found by entity and by request. */
    @Test
    void assign_newEntity_createsActiveKey(final VertxTestContext ctx) {
        final NewKey k = key("pne-1", "alice", "r1");
        assign(k)
                .compose(r -> {
                    ctx.verify(() -> assertEquals(new AssignResult.Created(k.stored(KeyState.ACTIVE)), r));
                    return Future.all(repo.findActive(k.entityId()), repo.findByRequest(k.entityId(), k.requestId()));
                })
                .onComplete(ctx.succeeding(found -> ctx.verify(() -> {
                    final Optional<StoredKey> active = found.resultAt(0);
                    final Optional<StoredKey> byRequest = found.resultAt(1);
                    assertEquals(Optional.of(k.stored(KeyState.ACTIVE)), active);
                    assertEquals(active, byRequest);
                    assertArrayEquals(k.sealedKey(), active.orElseThrow().sealedKey());
                    ctx.completeNow();
                })));
    }

    /** Verifies that a consent receipt is stored by request, the first one kept, and found again after a reopen. */
    @Test
    void storeConsent_keepsTheFirstReceiptPerRequestAcrossAReopen(final Vertx vertx, final VertxTestContext ctx) {
        final EntityId pne = EntityId.of("pne-consent");
        repo.storeConsent(pne, RequestId.of("r1"), "{\"receipt\":1}")
                .compose(v -> repo.storeConsent(pne, RequestId.of("r1"), "{\"receipt\":\"replaced\"}"))
                .compose(v -> repo.storeConsent(pne, RequestId.of("r2"), "{\"receipt\":2}"))
                .compose(v -> repo.storeConsent(EntityId.of("pne-other"), RequestId.of("r1"), "{\"other\":1}"))
                .compose(v -> repo.close())
                .compose(v -> openRepository(vertx))
                .compose(r -> {
                    repo = r;
                    return Future.all(repo.consents(pne), repo.consents(EntityId.of("nobody")));
                })
                .onComplete(ctx.succeeding(found -> ctx.verify(() -> {
                    assertEquals(java.util.Map.of(RequestId.of("r1"), "{\"receipt\":1}", RequestId.of("r2"),
                            "{\"receipt\":2}"), found.resultAt(0));
                    assertEquals(java.util.Map.of(), found.resultAt(1));
                    ctx.completeNow();
                })));
    }

    /**
     * Verifies that an assignment stores its consent receipt with the key the request holds: the one it created,
     * the first receipt kept on a retry of the same user; none for another user's request (conflict) nor for a
     * replayed (nonce, nc) pair, and found again after a reopen.
     */
    @Test
    void assignWithReceipt_storesItWithTheKeyOfItsRequestOnly(final Vertx vertx, final VertxTestContext ctx) {
        final NewKey alice = key("pne-receipt", "alice", "r1");
        final DigestUse used = freshUse();
        repo.assign(alice, used, Admission.ANY, Optional.of("{\"receipt\":\"alice\"}"))
                .compose(r -> repo.assign(key("pne-receipt", "alice", "r1"), freshUse(), Admission.ANY,
                        Optional.of("{\"receipt\":\"retry\"}")))
                .compose(r -> {
                    ctx.verify(() -> assertEquals(new AssignResult.Existing(alice.stored(KeyState.ACTIVE)), r));
                    return repo.assign(key("pne-receipt", "bob", "r2"), freshUse(), Admission.ANY,
                            Optional.of("{\"receipt\":\"bob\"}"));
                })
                .compose(r -> {
                    ctx.verify(() -> assertEquals(new AssignResult.Conflict(), r));
                    return repo.assign(key("pne-receipt", "alice", "r3"), used, Admission.ANY,
                            Optional.of("{\"receipt\":\"replayed\"}"));
                })
                .compose(r -> {
                    ctx.verify(() -> assertEquals(new AssignResult.Replayed(), r));
                    return repo.close();
                })
                .compose(v -> openRepository(vertx))
                .compose(r -> {
                    repo = r;
                    return repo.consents(alice.entityId());
                })
                .onComplete(ctx.succeeding(found -> ctx.verify(() -> {
                    assertEquals(java.util.Map.of(RequestId.of("r1"), "{\"receipt\":\"alice\"}"), found);
                    ctx.completeNow();
                })));
    }

    /** Verifies that the audit head is empty at first, moves forward, and never back (heads saved out of order). */
    @Test
    void advanceAuditHead_movesOnlyForward(final Vertx vertx, final VertxTestContext ctx) {
        final AuditHead three = new AuditHead(AUDIT_LOG, 3, "a".repeat(64));
        final AuditHead five = new AuditHead(AUDIT_LOG, 5, "b".repeat(64));
        repo.auditHead(AUDIT_LOG)
                .compose(none -> {
                    ctx.verify(() -> assertEquals(Optional.empty(), none));
                    return repo.advanceAuditHead(three);
                })
                .compose(v -> repo.advanceAuditHead(five))
                .compose(v -> repo.advanceAuditHead(three))
                .compose(v -> repo.close())
                .compose(v -> openRepository(vertx))
                .compose(r -> {
                    repo = r;
                    return repo.auditHead(AUDIT_LOG);
                })
                .onComplete(ctx.succeeding(head -> ctx.verify(() -> {
                    assertEquals(Optional.of(five), head);
                    ctx.completeNow();
                })));
    }

    /** Verifies that each server's log (a cluster shares one store) keeps a head of its own. */
    @Test
    void advanceAuditHead_keepsOneHeadPerLog(final VertxTestContext ctx) {
        final String other = "f".repeat(32);
        repo.advanceAuditHead(new AuditHead(AUDIT_LOG, 7, "a".repeat(64)))
                .compose(v -> repo.advanceAuditHead(new AuditHead(other, 0, "0".repeat(64))))
                .compose(v -> repo.advanceAuditHead(new AuditHead(other, 2, "c".repeat(64))))
                .compose(v -> repo.auditHead(AUDIT_LOG).compose(mine -> repo.auditHead(other).map(theirs ->
                        java.util.List.of(mine, theirs))))
                .onComplete(ctx.succeeding(heads -> ctx.verify(() -> {
                    assertEquals(Optional.of(new AuditHead(AUDIT_LOG, 7, "a".repeat(64))), heads.get(0));
                    assertEquals(Optional.of(new AuditHead(other, 2, "c".repeat(64))), heads.get(1));
                    ctx.completeNow();
                })));
    }

    /** Verifies that an unknown entity or request is not found. */
    @Test
    void find_unknownEntity_returnsEmpty(final VertxTestContext ctx) {
        Future.all(repo.findActive(EntityId.of("nobody")), repo.findByRequest(EntityId.of("nobody"), RequestId.of("r")))
                .onComplete(ctx.succeeding(found -> ctx.verify(() -> {
                    assertEquals(Optional.empty(), found.resultAt(0));
                    assertEquals(Optional.empty(), found.resultAt(1));
                    ctx.completeNow();
                })));
    }

    /** Verifies that a retry with the same entity and request ID gets the stored key back, never a second key. */
    @Test
    void assign_sameRequestRetried_returnsExistingKeyAndStoresNoSecond(final VertxTestContext ctx) {
        final NewKey first = key("pne-1", "alice", "r1");
        final NewKey retry = key("pne-1", "alice", "r1");
        assign(first)
                .compose(r -> assign(retry))
                .compose(r -> {
                    ctx.verify(() -> assertEquals(new AssignResult.Existing(first.stored(KeyState.ACTIVE)), r));
                    return repo.list();
                })
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    assertEquals(List.of(first.stored(KeyState.ACTIVE).info()), all);
                    ctx.completeNow();
                })));
    }

    /** Verifies that another user cannot take an entity whose active key is owned, whatever request ID is used. */
    @Test
    void assign_entityOwnedByAnotherUser_conflictsAndKeepsOwner(final VertxTestContext ctx) {
        final NewKey alice = key("pne-1", "alice", "r1");
        assign(alice)
                .compose(r -> Future.all(assign(key("pne-1", "bob", "r2")), assign(key("pne-1", "bob", "r1"))))
                .compose(r -> {
                    ctx.verify(() -> {
                        assertEquals(new AssignResult.Conflict(), r.resultAt(0));
                        assertEquals(new AssignResult.Conflict(), r.resultAt(1));
                    });
                    return Future.all(repo.findActive(alice.entityId()), repo.list());
                })
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    assertEquals(Optional.of(alice.stored(KeyState.ACTIVE)), r.resultAt(0));
                    assertEquals(1, r.<List<KeyInfo>>resultAt(1).size());
                    ctx.completeNow();
                })));
    }

    /** Verifies that the owner's new request rotates the key: the new one is active, the old one superseded. */
    @Test
    void assign_sameUserNewRequest_rotatesAndSupersedesPrevious(final VertxTestContext ctx) {
        final NewKey first = key("pne-1", "alice", "r1");
        final NewKey second = key("pne-1", "alice", "r2");
        assign(first)
                .compose(r -> assign(second))
                .compose(r -> {
                    ctx.verify(() -> assertEquals(new AssignResult.Created(second.stored(KeyState.ACTIVE)), r));
                    return Future.all(repo.findActive(first.entityId()),
                            repo.findByRequest(first.entityId(), first.requestId()), assign(first), repo.list());
                })
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    assertEquals(Optional.of(second.stored(KeyState.ACTIVE)), r.resultAt(0));
                    assertEquals(Optional.of(first.stored(KeyState.SUPERSEDED)), r.resultAt(1));
                    assertEquals(new AssignResult.Existing(first.stored(KeyState.SUPERSEDED)), r.resultAt(2));
                    assertEquals(List.of(first.stored(KeyState.SUPERSEDED).info(), second.stored(KeyState.ACTIVE).info()),
                            r.resultAt(3));
                    ctx.completeNow();
                })));
    }

    /** Verifies that the listing describes every key, oldest first, and carries no key material. */
    @Test
    void list_afterAssigns_returnsEveryKeyWithoutKeyMaterial(final VertxTestContext ctx) {
        final NewKey a = key("pne-1", "alice", "r1");
        final NewKey b = key("pne-2", "bob", "r1");
        assign(a)
                .compose(r -> assign(b))
                .compose(r -> repo.list())
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    assertEquals(List.of(a.stored(KeyState.ACTIVE).info(), b.stored(KeyState.ACTIVE).info()), all);
                    final List<String> components = Arrays.stream(KeyInfo.class.getRecordComponents())
                            .map(c -> c.getName()).collect(Collectors.toList());
                    assertFalse(components.contains("sealedKey"), components.toString());
                    assertFalse(all.toString().contains(Arrays.toString(a.sealedKey())));
                    ctx.completeNow();
                })));
    }

    /** Verifies that acknowledged keys survive closing and reopening the store. */
    @Test
    void close_thenReopen_keepsAcknowledgedKeys(final Vertx vertx, final VertxTestContext ctx) {
        final NewKey a = key("pne-1", "alice", "r1");
        final NewKey b1 = key("pne-2", "bob", "r1");
        final NewKey b2 = key("pne-2", "bob", "r2");
        assign(a)
                .compose(r -> assign(b1))
                .compose(r -> assign(b2))
                .compose(r -> repo.close())
                .compose(v -> openRepository(vertx))
                .compose(reopened -> {
                    repo = reopened;
                    return Future.all(repo.findActive(a.entityId()), repo.findActive(b1.entityId()),
                            repo.findByRequest(b1.entityId(), b1.requestId()), repo.list());
                })
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    assertEquals(Optional.of(a.stored(KeyState.ACTIVE)), r.resultAt(0));
                    assertEquals(Optional.of(b2.stored(KeyState.ACTIVE)), r.resultAt(1));
                    assertEquals(Optional.of(b1.stored(KeyState.SUPERSEDED)), r.resultAt(2));
                    assertEquals(3, r.<List<KeyInfo>>resultAt(3).size());
                    ctx.completeNow();
                })));
    }

    /** Verifies that a closed store refuses further work and that closing twice is harmless. */
    @Test
    void assign_afterClose_fails(final VertxTestContext ctx) {
        repo.close()
                .compose(v -> repo.close())
                .compose(v -> assign(key("pne-1", "alice", "r1")))
                .onComplete(ctx.failing(e -> ctx.completeNow()));
    }

    /** Verifies that 2,000 concurrent assigns for 2,000 entities all succeed and are all stored. */
    @Test
    void assign_2000ConcurrentForDistinctEntities_allCreated(final VertxTestContext ctx) {
        final List<Future<AssignResult>> results = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            results.add(assign(key("pne-" + i, "user-" + (i % 7), "r-" + i)));
        }
        Future.all(results)
                .compose(all -> {
                    ctx.verify(() -> results.forEach(f -> assertInstanceOf(AssignResult.Created.class, f.result())));
                    return repo.list();
                })
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    assertEquals(2000, all.size());
                    assertTrue(all.stream().allMatch(k -> k.state() == KeyState.ACTIVE));
                    ctx.completeNow();
                })));
    }

    /** Verifies that 200 concurrent assigns for one entity by two users leave exactly one active key. */
    @Test
    void assign_200ConcurrentForOneEntityByTwoUsers_exactlyOneActiveKey(final VertxTestContext ctx) {
        final List<Future<AssignResult>> results = new ArrayList<>();
        final List<NewKey> keys = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            final NewKey k = key("pne-contested", i % 2 == 0 ? "alice" : "bob", "r-" + i);
            keys.add(k);
            results.add(assign(k));
        }
        Future.all(results)
                .compose(all -> Future.all(repo.findActive(EntityId.of("pne-contested")), repo.list()))
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    final StoredKey active = r.<Optional<StoredKey>>resultAt(0).orElseThrow();
                    final List<KeyInfo> all = r.resultAt(1);
                    assertEquals(1, all.stream().filter(k -> k.state() == KeyState.ACTIVE).count());
                    final UserId owner = active.userId();
                    for (int i = 0; i < 200; i++) {
                        final AssignResult result = results.get(i).result();
                        if (keys.get(i).userId().equals(owner)) {
                            assertInstanceOf(AssignResult.Created.class, result);
                        } else {
                            assertEquals(new AssignResult.Conflict(), result);
                        }
                    }
                    assertEquals(100, all.size());
                    assertTrue(all.stream().allMatch(k -> k.userId().equals(owner)));
                    ctx.completeNow();
                })));
    }

    /** Verifies that a failing assign (a key ID used twice) fails alone; the others around it are stored. */
    @Test
    void assign_duplicateKeyIdAmongConcurrentAssigns_failsOnlyThatAssign(final VertxTestContext ctx) {
        final List<Future<AssignResult>> results = new ArrayList<>();
        final NewKey first = key("pne-0", "alice", "r");
        results.add(assign(first));
        for (int i = 1; i < 50; i++) {
            final NewKey k = key("pne-" + i, "alice", "r");
            results.add(assign(i != 25 ? k : new NewKey(k.entityId(), k.userId(), k.gatewayId(), k.requestId(),
                    first.keyId(), k.proxy(), k.sealedKey(), k.seal(), k.createdAt())));
        }
        Future.join(results)
                .transform(done -> repo.list())
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    for (int i = 0; i < 50; i++) {
                        assertEquals(i == 25, results.get(i).failed(), "assign " + i);
                    }
                    assertEquals(49, all.size());
                    assertTrue(all.stream().noneMatch(k -> k.entityId().value().equals("pne-25")));
                    ctx.completeNow();
                })));
    }

    private static KeyInfo in(final NewKey k, final KeyState state) {
        return k.stored(state).info();
    }

    /** Verifies that revoking marks the active key REVOKED, and the owner's next Key Request gets a new key. */
    @Test
    void revoke_activeKey_marksItRevokedAndOwnersNextRequestGetsNewKey(final VertxTestContext ctx) {
        final NewKey first = key("pne-1", "alice", "r1");
        final NewKey next = key("pne-1", "alice", "r2");
        assign(first)
                .compose(r -> repo.revoke(first.entityId()))
                .compose(revoked -> {
                    ctx.verify(() -> assertEquals(Optional.of(in(first, KeyState.REVOKED)), revoked));
                    return repo.findActive(first.entityId());
                })
                .compose(active -> {
                    ctx.verify(() -> assertEquals(Optional.empty(), active));
                    return assign(next);
                })
                .compose(r -> {
                    ctx.verify(() -> assertEquals(new AssignResult.Created(next.stored(KeyState.ACTIVE)), r));
                    return Future.all(repo.list(), assign(first));
                })
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    assertEquals(List.of(in(first, KeyState.REVOKED), in(next, KeyState.ACTIVE)), r.resultAt(0));
                    assertEquals(new AssignResult.Existing(first.stored(KeyState.REVOKED)), r.resultAt(1));
                    ctx.completeNow();
                })));
    }

    /** Verifies that a revoked entity still belongs to its owner: another user is refused. */
    @Test
    void revoke_thenAnotherUserRequests_conflicts(final VertxTestContext ctx) {
        final NewKey alice = key("pne-1", "alice", "r1");
        assign(alice)
                .compose(r -> repo.revoke(alice.entityId()))
                .compose(r -> assign(key("pne-1", "bob", "r2")))
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    assertEquals(new AssignResult.Conflict(), r);
                    ctx.completeNow();
                })));
    }

    /** Verifies that revoking an entity without an active key (unknown, or revoked already) changes nothing. */
    @Test
    void revoke_noActiveKey_returnsEmptyAndChangesNothing(final VertxTestContext ctx) {
        final NewKey alice = key("pne-1", "alice", "r1");
        repo.revoke(EntityId.of("nobody"))
                .compose(r -> {
                    ctx.verify(() -> assertEquals(Optional.empty(), r));
                    return assign(alice);
                })
                .compose(r -> repo.revoke(alice.entityId()))
                .compose(r -> repo.revoke(alice.entityId()))
                .compose(r -> {
                    ctx.verify(() -> assertEquals(Optional.empty(), r));
                    return repo.list();
                })
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    assertEquals(List.of(in(alice, KeyState.REVOKED)), all);
                    ctx.completeNow();
                })));
    }

    /** Verifies that releasing frees the entity: its key becomes RELEASED and another user may claim it. */
    @Test
    void release_ownedEntity_marksKeyReleasedAndAnotherUserClaimsIt(final VertxTestContext ctx) {
        final NewKey alice = key("pne-1", "alice", "r1");
        final NewKey bob = key("pne-1", "bob", "r2");
        assign(alice)
                .compose(r -> assign(bob))
                .compose(r -> {
                    ctx.verify(() -> assertEquals(new AssignResult.Conflict(), r));
                    return repo.release(alice.entityId());
                })
                .compose(released -> {
                    ctx.verify(() -> assertEquals(Optional.of(in(alice, KeyState.RELEASED)), released));
                    return assign(bob);
                })
                .compose(r -> {
                    ctx.verify(() -> assertEquals(new AssignResult.Created(bob.stored(KeyState.ACTIVE)), r));
                    return Future.all(assign(key("pne-1", "alice", "r3")), repo.list());
                })
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    assertEquals(new AssignResult.Conflict(), r.resultAt(0));
                    assertEquals(List.of(in(alice, KeyState.RELEASED), in(bob, KeyState.ACTIVE)), r.resultAt(1));
                    ctx.completeNow();
                })));
    }

    /** Verifies that a revoked entity can be released too, and that an unowned entity is not released again. */
    @Test
    void release_revokedEntity_releasesItOnceOnly(final VertxTestContext ctx) {
        final NewKey alice = key("pne-1", "alice", "r1");
        assign(alice)
                .compose(r -> repo.revoke(alice.entityId()))
                .compose(r -> repo.release(alice.entityId()))
                .compose(released -> {
                    ctx.verify(() -> assertEquals(Optional.of(in(alice, KeyState.RELEASED)), released));
                    return Future.all(repo.release(alice.entityId()), repo.release(EntityId.of("nobody")));
                })
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    assertEquals(Optional.empty(), r.resultAt(0));
                    assertEquals(Optional.empty(), r.resultAt(1));
                    ctx.completeNow();
                })));
    }

    /**
     * Verifies that a release racing 60 claims by a second user and 60 requests by the owner never leaves two active
     * keys, and that every created key belongs to whoever held the entity at that moment.
     */
    @Test
    void release_racingClaimsOfTwoUsers_neverTwoActiveKeys(final VertxTestContext ctx) {
        final NewKey alice = key("pne-r", "alice", "r0");
        final List<Future<AssignResult>> claims = new ArrayList<>();
        assign(alice)
                .compose(r -> {
                    final List<Future<?>> all = new ArrayList<>();
                    for (int i = 1; i <= 60; i++) {
                        claims.add(assign(key("pne-r", "bob", "b" + i)));
                        claims.add(assign(key("pne-r", "alice", "a" + i)));
                        if (i == 30) {
                            all.add(repo.release(alice.entityId()));
                        }
                    }
                    all.addAll(claims);
                    return Future.join(all);
                })
                .compose(done -> Future.all(repo.list(), repo.findActive(alice.entityId())))
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    final List<KeyInfo> all = r.resultAt(0);
                    assertTrue(claims.stream().allMatch(Future::succeeded));
                    assertEquals(1, all.stream().filter(k -> k.state() == KeyState.ACTIVE).count(), all.toString());
                    assertEquals(1, all.stream().filter(k -> k.state() == KeyState.RELEASED).count(), all.toString());
                    // after the one release, the entity belongs to one user: every key after it is that user's
                    final int released = indexOf(all, KeyState.RELEASED);
                    final UserId after = r.<Optional<StoredKey>>resultAt(1).orElseThrow().userId();
                    assertTrue(all.subList(released + 1, all.size()).stream().allMatch(k -> k.userId().equals(after)));
                    assertTrue(all.subList(0, released + 1).stream().allMatch(k -> k.userId().value().equals("alice")));
                    ctx.completeNow();
                })));
    }

    /**
     * Verifies that assignments submitted all at once (a batch for a batching store) that mix conflicts, retried
     * request IDs, two rotations of one entity, two uses of one (nonce, nc) pair, a user with a failure recorded,
     * a refusal and new entities each get their own outcome, and leave exactly the keys they should.
     */
    @Test
    void assign_mixedAssignmentsAllAtOnce_eachItsOwnOutcomeAndTheTableAsExpected(final VertxTestContext ctx) {
        final MixedAssignments mix = new MixedAssignments();
        final List<Future<AssignResult>> results = new ArrayList<>();
        mix.setUp(repo)
                .compose(x -> {
                    results.addAll(mix.submit(repo));
                    return Future.all(results);
                })
                .compose(x -> Future.all(repo.list(), repo.failures(UserId.of("frank"), GatewayId.of("gw-frank"))))
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    mix.check(results, r.resultAt(0), r.resultAt(1));
                    ctx.completeNow();
                })));
    }

    // ---- single use of (nonce, nc) pairs and failure counts ([H] 4b, 4i) ----------------------------------

    /** Verifies that a (nonce, nc) pair authorises one key: again, for another entity or the same request, it is a replay. */
    @Test
    void assign_samePairAgain_replayedAndNothingStored(final VertxTestContext ctx) {
        final DigestUse use = freshUse();
        final NewKey first = key("pne-1", "alice", "r1");
        repo.assign(first, use, Admission.ANY)
                .compose(r -> Future.all(repo.assign(key("pne-2", "alice", "r2"), use, Admission.ANY),
                        repo.assign(key("pne-1", "alice", "r1"), use, Admission.ANY),
                        repo.assign(key("pne-1", "alice", "r3"), new DigestUse(use.nonce(), 2, use.nonceExpiry()),
                                Admission.ANY)))
                .compose(r -> {
                    ctx.verify(() -> {
                        assertEquals(new AssignResult.Replayed(), r.resultAt(0));
                        assertEquals(new AssignResult.Replayed(), r.resultAt(1));
                        assertInstanceOf(AssignResult.Created.class, r.resultAt(2), "the next nc of the nonce");
                    });
                    return repo.list();
                })
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    assertEquals(List.of("r1", "r3"), all.stream().map(k -> k.requestId().value()).toList());
                    ctx.completeNow();
                })));
    }

    /** Verifies that a used pair is still refused after the store was closed and opened again (a restart). */
    @Test
    void assign_pairUsedBeforeReopen_stillReplayed(final Vertx vertx, final VertxTestContext ctx) {
        final DigestUse use = freshUse();
        repo.assign(key("pne-1", "alice", "r1"), use, Admission.ANY)
                .compose(r -> repo.close())
                .compose(v -> openRepository(vertx))
                .compose(reopened -> {
                    repo = reopened;
                    return repo.assign(key("pne-1", "alice", "r2"), use, Admission.ANY);
                })
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    assertEquals(new AssignResult.Replayed(), r);
                    ctx.completeNow();
                })));
    }

    /** Verifies that 50 racing assigns authorised by one pair, for 50 entities, store exactly one key. */
    @Test
    void assign_racingUsesOfOnePair_exactlyOneWins(final VertxTestContext ctx) {
        final DigestUse use = freshUse();
        final List<Future<AssignResult>> results = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            results.add(repo.assign(key("race-" + i, "alice", "r-" + i), use, Admission.ANY));
        }
        Future.all(results).compose(x -> repo.list()).onComplete(ctx.succeeding(all -> ctx.verify(() -> {
            assertEquals(1, results.stream().filter(f -> f.result() instanceof AssignResult.Created).count());
            assertEquals(49, results.stream().filter(f -> f.result() instanceof AssignResult.Replayed).count());
            assertEquals(1, all.size());
            ctx.completeNow();
        })));
    }

    /** Verifies that failures count per pair, per user and per gateway, and that a failure after a window's end begins a new one. */
    @Test
    void recordFailure_countsPairUserAndGateway_newWindowAfterEnd(final VertxTestContext ctx) {
        final Instant t0 = Instant.parse("2030-01-01T00:00:00Z");
        final java.time.Duration window = java.time.Duration.ofMinutes(15);
        final UserId alice = UserId.of("alice");
        final GatewayId gw1 = GatewayId.of("gw-1");
        repo.recordFailure(alice, gw1, t0, window)
                .compose(s -> repo.recordFailure(alice, gw1, t0.plusSeconds(1), window))
                .compose(s -> repo.recordFailure(alice, GatewayId.of("gw-2"), t0.plusSeconds(2), window))
                .compose(s -> repo.recordFailure(UserId.of("bob"), gw1, t0.plusSeconds(3), window))
                .compose(s -> Future.all(repo.failures(alice, gw1),
                        repo.recordFailure(alice, gw1, t0.plus(window), window)))
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    final FailureStanding before = r.resultAt(0);
                    assertEquals(new FailureCount(2, t0.plus(window), t0.plusSeconds(1)), before.pair());
                    assertEquals(new FailureCount(3, t0.plus(window), t0.plusSeconds(2)), before.user());
                    assertEquals(new FailureCount(3, t0.plus(window), t0.plusSeconds(3)), before.gateway());
                    final FailureStanding after = r.resultAt(1);
                    assertEquals(new FailureCount(1, t0.plus(window).plus(window), t0.plus(window)), after.pair());
                    assertEquals(1, after.user().failures());
                    assertEquals(1, after.gateway().failures());
                    ctx.completeNow();
                })));
    }

    /**
     * Verifies the owner's release: another user's is refused and changes nothing, the owner's marks the key
     * RELEASED and lets another user claim the entity, and a second release finds no key.
     */
    @Test
    void releaseByOwner_onlyTheOwnerReleases_thenAnotherUserClaimsTheEntity(final VertxTestContext ctx) {
        final NewKey alice = key("pne-1", "alice", "r1");
        final NewKey bob = key("pne-1", "bob", "r2");
        assign(alice)
                .compose(r -> repo.releaseByOwner(alice.entityId(), bob.userId(), bob.gatewayId(), freshUse(),
                        Admission.ANY))
                .compose(r -> {
                    ctx.verify(() -> assertEquals(new ReleaseResult.NotOwner(), r));
                    return repo.releaseByOwner(alice.entityId(), alice.userId(), alice.gatewayId(), freshUse(),
                            Admission.ANY);
                })
                .compose(r -> {
                    ctx.verify(() -> assertEquals(new ReleaseResult.Released(in(alice, KeyState.RELEASED)), r));
                    return Future.all(repo.releaseByOwner(alice.entityId(), alice.userId(), alice.gatewayId(),
                            freshUse(), Admission.ANY), repo.releaseByOwner(EntityId.of("nobody"), alice.userId(),
                            alice.gatewayId(), freshUse(), Admission.ANY));
                })
                .compose(r -> {
                    ctx.verify(() -> {
                        assertEquals(new ReleaseResult.NoKey(), r.resultAt(0));
                        assertEquals(new ReleaseResult.NoKey(), r.resultAt(1));
                    });
                    return assign(bob);
                })
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    assertEquals(new AssignResult.Created(bob.stored(KeyState.ACTIVE)), r);
                    ctx.completeNow();
                })));
    }

    /**
     * Verifies that a release shares the assignment's ledger: a (nonce, nc) pair used by a Key Request is a replay
     * for a release and the reverse, a refused release uses its pair up, and an admitted one forgets the pair's
     * failures.
     */
    @Test
    void releaseByOwner_sharesSingleUseAndFailuresWithAssignments(final VertxTestContext ctx) {
        final NewKey alice = key("pne-1", "alice", "r1");
        final DigestUse assignUse = freshUse();
        final DigestUse releaseUse = freshUse();
        final Admission refuseOnFailures = s -> s.pair().failures() > 0 ? Optional.of(java.time.Duration.ofSeconds(9))
                : Optional.empty();
        repo.assign(alice, assignUse, Admission.ANY)
                .compose(r -> repo.releaseByOwner(alice.entityId(), alice.userId(), alice.gatewayId(), assignUse,
                        Admission.ANY))
                .compose(r -> {
                    ctx.verify(() -> assertEquals(new ReleaseResult.Replayed(), r, "a Key Request's pair"));
                    return repo.recordFailure(alice.userId(), alice.gatewayId(), Instant.now(),
                            java.time.Duration.ofMinutes(15));
                })
                .compose(s -> repo.releaseByOwner(alice.entityId(), alice.userId(), alice.gatewayId(), releaseUse,
                        refuseOnFailures))
                .compose(r -> {
                    ctx.verify(() -> assertEquals(new ReleaseResult.Refused(java.time.Duration.ofSeconds(9)), r));
                    return repo.assign(key("pne-1", "alice", "r2"), releaseUse, Admission.ANY);
                })
                .compose(r -> {
                    ctx.verify(() -> assertEquals(new AssignResult.Replayed(), r, "the refused release's pair"));
                    return repo.releaseByOwner(alice.entityId(), alice.userId(), alice.gatewayId(), freshUse(),
                            Admission.ANY);
                })
                .compose(r -> {
                    ctx.verify(() -> assertInstanceOf(ReleaseResult.Released.class, r));
                    return repo.failures(alice.userId(), alice.gatewayId());
                })
                .onComplete(ctx.succeeding(s -> ctx.verify(() -> {
                    assertEquals(0, s.pair().failures(), "the release forgot the pair's failures");
                    assertEquals(1, s.user().failures(), "the user's stay");
                    ctx.completeNow();
                })));
    }

    /**
     * Verifies the order within an assignment: a replay changes nothing (the failures stay), a refusal stores no key
     * but uses the pair up, and an admitted one forgets the pair's failures, not the user's or the gateway's.
     */
    @Test
    void assign_replayThenRefusalThenSuccess_onlySuccessForgetsPairFailures(final VertxTestContext ctx) {
        final Instant now = Instant.now();
        final NewKey k = key("pne-1", "alice", "r1");
        final DigestUse used = freshUse();
        final DigestUse refusedUse = freshUse();
        final List<FailureStanding> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        final Admission refuseAny = s -> {
            seen.add(s);
            return s.pair().failures() > 0 ? Optional.of(java.time.Duration.ofSeconds(7)) : Optional.empty();
        };
        repo.assign(key("pne-0", "alice", "r0"), used, Admission.ANY)
                .compose(r -> repo.recordFailure(k.userId(), k.gatewayId(), now, java.time.Duration.ofMinutes(15)))
                .compose(s -> repo.assign(k, used, Admission.ANY))
                .compose(replayed -> {
                    ctx.verify(() -> assertEquals(new AssignResult.Replayed(), replayed));
                    return repo.assign(k, refusedUse, refuseAny);
                })
                .compose(refused -> {
                    ctx.verify(() -> {
                        assertEquals(new AssignResult.Refused(java.time.Duration.ofSeconds(7)), refused);
                        assertEquals(1, seen.get(0).pair().failures(), "the replay left the failure counted");
                    });
                    return repo.assign(k, refusedUse, Admission.ANY);
                })
                .compose(again -> {
                    ctx.verify(() -> assertEquals(new AssignResult.Replayed(), again, "the refused pair is used up"));
                    return repo.assign(k, freshUse(), Admission.ANY);
                })
                .compose(created -> {
                    ctx.verify(() -> assertInstanceOf(AssignResult.Created.class, created));
                    return repo.failures(k.userId(), k.gatewayId());
                })
                .onComplete(ctx.succeeding(s -> ctx.verify(() -> {
                    assertEquals(0, s.pair().failures(), "the success forgot the pair's failures");
                    assertEquals(1, s.user().failures(), "the user's stay");
                    assertEquals(1, s.gateway().failures(), "the gateway's stay");
                    ctx.completeNow();
                })));
    }

    /** Verifies that the purge deletes uses of expired nonces and ended failure windows, and keeps the rest. */
    @Test
    void purge_expiredUsesAndEndedWindows_goTheRestStays(final VertxTestContext ctx) {
        final Instant now = Instant.now();
        final byte[] nonce = new byte[40];
        final DigestUse expired = new DigestUse(nonce, 1, now.minusSeconds(10));
        final DigestUse live = freshUse();
        final UserId alice = UserId.of("alice");
        repo.assign(key("pne-1", "alice", "r1"), expired, Admission.ANY)
                .compose(r -> repo.assign(key("pne-2", "alice", "r2"), live, Admission.ANY))
                .compose(r -> repo.recordFailure(alice, GatewayId.of("old-gw"), now.minusSeconds(1000),
                        java.time.Duration.ofSeconds(100)))
                .compose(r -> repo.recordFailure(alice, GatewayId.of("new-gw"), now, java.time.Duration.ofMinutes(15)))
                .compose(r -> repo.purge(now))
                .compose(purged -> {
                    ctx.verify(() -> assertTrue(purged >= 3, "an expired use and three ended windows: " + purged));
                    return Future.all(repo.assign(key("pne-3", "alice", "r3"), expired, Admission.ANY),
                            repo.assign(key("pne-4", "alice", "r4"), live, Admission.ANY),
                            repo.failures(alice, GatewayId.of("old-gw")), repo.failures(alice, GatewayId.of("new-gw")));
                })
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    assertInstanceOf(AssignResult.Created.class, r.resultAt(0), "the expired use was purged");
                    assertEquals(new AssignResult.Replayed(), r.resultAt(1), "the live use stays");
                    assertEquals(FailureCount.NONE, r.<FailureStanding>resultAt(2).pair());
                    assertEquals(1, r.<FailureStanding>resultAt(3).pair().failures());
                    ctx.completeNow();
                })));
    }

    private static int indexOf(final List<KeyInfo> all, final KeyState state) {
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).state() == state) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Verifies that walking the pages of keys not under a seal visits each such key once, in store order, whatever
     * its state, and no key under that seal.
     */
    @Test
    void findNotSealedWith_walkedInSmallPages_visitsEveryOtherSealedKeyOnce(final VertxTestContext ctx) {
        final List<NewKey> keys = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            keys.add(key("pne-" + (i % 4), "alice", "r" + i, i % 3 == 0 ? SEAL : 1));
        }
        Future<?> chain = Future.succeededFuture();
        for (final NewKey k : keys) {
            chain = chain.compose(x -> assign(k));
        }
        final List<StoredKey> seen = new ArrayList<>();
        chain.compose(x -> walk(1 + SEAL, 0, 2, seen))
                .compose(x -> {
                    ctx.verify(() -> assertEquals(9, seen.size(), "a seal no key carries: every key"));
                    seen.clear();
                    return walk(SEAL, 0, 2, seen);
                })
                .onComplete(ctx.succeeding(x -> ctx.verify(() -> {
                    final List<KeyId> expected = keys.stream().filter(k -> k.seal() != SEAL).map(NewKey::keyId)
                            .collect(Collectors.toList());
                    assertEquals(expected, seen.stream().map(StoredKey::keyId).collect(Collectors.toList()));
                    assertTrue(seen.stream().allMatch(k -> k.seal() == 1));
                    assertTrue(seen.stream().anyMatch(k -> k.state() == KeyState.SUPERSEDED));
                    ctx.completeNow();
                })));
    }

    private Future<Void> walk(final int seal, final long from, final int pageSize, final List<StoredKey> seen) {
        return repo.findNotSealedWith(seal, from, pageSize).compose(page -> {
            if (page.keys().isEmpty()) {
                return Future.succeededFuture();
            }
            assertTrue(page.keys().size() <= pageSize);
            assertTrue(page.next() > from);
            seen.addAll(page.keys());
            return walk(seal, page.next(), pageSize, seen);
        });
    }

    /**
     * Verifies that a seal change is applied only to a row that still holds the old seal and bytes (compare and
     * set): a stale change, or one applied twice, changes nothing; the key's other fields and state are kept.
     */
    @Test
    void replaceSeals_onlyWhereRowStillHoldsOldSeal(final VertxTestContext ctx) {
        final NewKey a = key("pne-a", "alice", "r1", 1);
        final NewKey b = key("pne-b", "bob", "r1", 1);
        final byte[] newBytes = new byte[61];
        RANDOM.nextBytes(newBytes);
        final SealChange applies = new SealChange(a.keyId(), 1, a.sealedKey(), SEAL, newBytes);
        final SealChange staleBytes = new SealChange(b.keyId(), 1, a.sealedKey(), SEAL, newBytes);
        final SealChange staleSeal = new SealChange(b.keyId(), SEAL, b.sealedKey(), 3, newBytes);
        assign(a)
                .compose(x -> assign(b))
                .compose(x -> repo.revoke(a.entityId()))
                .compose(x -> repo.replaceSeals(List.of(applies, staleBytes, staleSeal)))
                .compose(changed -> {
                    ctx.verify(() -> assertEquals(1, changed));
                    return repo.replaceSeals(List.of(applies));
                })
                .compose(again -> {
                    ctx.verify(() -> assertEquals(0, again));
                    return Future.all(repo.findByRequest(a.entityId(), a.requestId()),
                            repo.findByRequest(b.entityId(), b.requestId()), repo.replaceSeals(List.of()));
                })
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    final StoredKey ra = r.<Optional<StoredKey>>resultAt(0).orElseThrow();
                    assertEquals(new StoredKey(a.entityId(), a.userId(), a.gatewayId(), a.requestId(), a.keyId(),
                            a.proxy(), newBytes, SEAL, a.createdAt(), KeyState.REVOKED), ra);
                    assertEquals(Optional.of(b.stored(KeyState.ACTIVE)), r.resultAt(1));
                    assertEquals(0, r.<Integer>resultAt(2));
                    ctx.completeNow();
                })));
    }

    /** EUKeys sealed with seal 1 as servers did before seal 2, stored; their EUKeys by Key ID. */
    private Future<java.util.Map<KeyId, byte[]>> storeLegacyKeys(final SecretBytes masterKey, final int n) {
        final StoredKeySealer legacy = new StoredKeySealer(new SealSet(MasterKeySeal.v1(masterKey), List.of()),
                StoredKeySealer.Listener.NONE);
        final java.util.Map<KeyId, byte[]> euKeys = new java.util.LinkedHashMap<>();
        final List<Future<AssignResult>> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            final byte[] euKey = new byte[32];
            RANDOM.nextBytes(euKey);
            final KeyId keyId = KeyId.of(UUID.randomUUID().toString());
            euKeys.put(keyId, euKey.clone());
            // a few entities with several keys each, so superseded keys are re-sealed too
            final KeyBinding binding = new KeyBinding(EntityId.of("pne-" + (i % 13)), keyId, UserId.of("alice"),
                    RequestId.of("r-" + i), GatewayId.of("gw-1"));
            try (SecretBytes k = SecretBytes.copyOf(euKey)) {
                all.add(assign(legacy.seal(k, binding, true, Instant.now().truncatedTo(ChronoUnit.MICROS))));
            }
        }
        return Future.all(all).map(x -> euKeys);
    }

    /** Checks every stored key opens under the seal its row names, to the EUKey it was created with. */
    private Future<java.util.Map<Integer, Integer>> everyKeyOpens(final SealSet seals,
            final java.util.Map<KeyId, byte[]> euKeys) {
        final java.util.Map<Integer, Integer> bySeal = new java.util.TreeMap<>();
        return repo.findNotSealedWith(Integer.MAX_VALUE, 0, 10_000).map(page -> {
            assertEquals(euKeys.size(), page.keys().size());
            for (final StoredKey k : page.keys()) {
                try (SecretBytes opened = seals.byId(k.seal()).orElseThrow().open(k.sealedKey(), KeyBinding.of(k))) {
                    assertTrue(opened.equalsSecret(SecretBytes.copyOf(euKeys.get(k.keyId()))), k.toString());
                } catch (java.security.GeneralSecurityException e) {
                    throw new AssertionError("does not open: " + k, e);
                }
                bySeal.merge(k.seal(), 1, Integer::sum);
            }
            return bySeal;
        });
    }

    /**
     * Verifies that a re-sealing run that dies half-way (the store fails its third batch) loses no key: every key
     * still opens under the seal its row names, some under the new one and the rest under the old; and that the next
     * run finishes the job, after which every key opens through the sealer as the key it was.
     */
    @Test
    void reseal_failingHalfWayThenRunAgain_noKeyLostAndJobCompletes(final Vertx vertx, final VertxTestContext ctx) {
        final SecretBytes masterKey = SecretBytes.copyOf(randomKey());
        final StoredKeySealer sealer = new StoredKeySealer(SealSet.masterKeyFile(masterKey), StoredKeySealer.Listener.NONE);
        final java.util.Map<KeyId, byte[]> euKeys = new java.util.LinkedHashMap<>();
        storeLegacyKeys(masterKey, 50)
                .compose(keys -> {
                    euKeys.putAll(keys);
                    return new StoredKeyResealer(vertx, new FailingReseals(repo, 2), sealer, 8).run();
                })
                .transform(crashed -> {
                    ctx.verify(() -> assertTrue(crashed.failed(), "the run was made to fail"));
                    return everyKeyOpens(sealer.seals(), euKeys);
                })
                .compose(bySeal -> {
                    ctx.verify(() -> assertEquals(java.util.Map.of(1, 34, 2, 16), bySeal, "two batches of 8 done"));
                    return new StoredKeyResealer(vertx, repo, sealer, 8).run();
                })
                .compose(report -> {
                    ctx.verify(() -> {
                        assertEquals(new StoredKeyResealer.Report(34, 0, 0, 0), report);
                        assertTrue(report.complete());
                    });
                    return Future.all(everyKeyOpens(sealer.seals(), euKeys),
                            new StoredKeyResealer(vertx, repo, sealer, 8).run());
                })
                .compose(r -> {
                    ctx.verify(() -> {
                        assertEquals(java.util.Map.of(2, 50), r.resultAt(0));
                        assertEquals(new StoredKeyResealer.Report(0, 0, 0, 0), r.resultAt(1), "nothing left to do");
                    });
                    return repo.findActive(EntityId.of("pne-3"));
                })
                .onComplete(ctx.succeeding(active -> ctx.verify(() -> {
                    final StoredKey k = active.orElseThrow();
                    try (SecretBytes opened = sealer.open(k)) {
                        assertTrue(opened.equalsSecret(SecretBytes.copyOf(euKeys.get(k.keyId()))));
                    }
                    masterKey.destroy();
                    ctx.completeNow();
                })));
    }

    /**
     * Verifies that a key that does not open under its own seal (its sealed bytes belong to another row) is
     * reported and left as it is, while the others are re-sealed; and that a key under an unknown seal is left.
     */
    @Test
    void reseal_keyNotMatchingItsRow_reportedAndLeftOthersResealed(final Vertx vertx, final VertxTestContext ctx) {
        final SecretBytes masterKey = SecretBytes.copyOf(randomKey());
        final List<KeyInfo> reported = new java.util.concurrent.CopyOnWriteArrayList<>();
        final StoredKeySealer sealer = new StoredKeySealer(SealSet.masterKeyFile(masterKey),
                (key, why) -> reported.add(key));
        final NewKey unknown = key("pne-unknown", "carol", "r1", 9);
        storeLegacyKeys(masterKey, 3)
                .compose(keys -> repo.findActive(EntityId.of("pne-1")))
                .compose(donor -> {
                    final NewKey moved = new NewKey(EntityId.of("pne-moved"), UserId.of("mallory"), GatewayId.of("gw-1"),
                            RequestId.of("r-m"), KeyId.of(UUID.randomUUID().toString()), true,
                            donor.orElseThrow().sealedKey(), 1, Instant.now().truncatedTo(ChronoUnit.MICROS));
                    return assign(moved).compose(x -> assign(unknown)).map(x -> moved);
                })
                .compose(moved -> new StoredKeyResealer(vertx, repo, sealer, 2).run().map(report -> {
                    ctx.verify(() -> {
                        assertEquals(new StoredKeyResealer.Report(3, 1, 1, 0), report);
                        assertFalse(report.complete());
                        assertEquals(List.of(moved.stored(KeyState.ACTIVE).info()), reported);
                    });
                    return moved;
                }))
                .compose(moved -> Future.all(repo.findActive(moved.entityId()), repo.findActive(unknown.entityId())))
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    assertEquals(1, r.<Optional<StoredKey>>resultAt(0).orElseThrow().seal(), "left as it is");
                    assertEquals(Optional.of(unknown.stored(KeyState.ACTIVE)), r.resultAt(1));
                    masterKey.destroy();
                    ctx.completeNow();
                })));
    }

    private static byte[] randomKey() {
        final byte[] k = new byte[32];
        RANDOM.nextBytes(k);
        return k;
    }

    /** The store under test, whose {@link #replaceSeals} fails from its {@code (after + 1)}-th call on: a crash. */
    private static final class FailingReseals implements EuKeyRepository {
        private final EuKeyRepository store;
        private final int after;
        private int calls;

        FailingReseals(final EuKeyRepository store, final int after) {
            this.store = store;
            this.after = after;
        }

        @Override
        public Future<Integer> replaceSeals(final List<SealChange> changes) {
            return ++calls > after ? Future.failedFuture(new IllegalStateException("crash (test)"))
                    : store.replaceSeals(changes);
        }

        @Override
        public Future<KeyPage> findNotSealedWith(final int seal, final long from, final int limit) {
            return store.findNotSealedWith(seal, from, limit);
        }

        @Override
        public Future<AssignResult> assign(final NewKey key, final DigestUse use, final Admission admission) {
            return store.assign(key, use, admission);
        }

        @Override
        public Future<FailureStanding> recordFailure(final UserId user, final GatewayId gateway, final Instant now,
                final java.time.Duration window) {
            return store.recordFailure(user, gateway, now, window);
        }

        @Override
        public Future<FailureStanding> failures(final UserId user, final GatewayId gateway) {
            return store.failures(user, gateway);
        }

        @Override
        public Future<Integer> purge(final Instant cutoff) {
            return store.purge(cutoff);
        }

        @Override
        public Future<Optional<StoredKey>> findActive(final EntityId entityId) {
            return store.findActive(entityId);
        }

        @Override
        public Future<Optional<StoredKey>> findByRequest(final EntityId entityId, final RequestId requestId) {
            return store.findByRequest(entityId, requestId);
        }

        @Override
        public Future<Optional<KeyInfo>> revoke(final EntityId entityId) {
            return store.revoke(entityId);
        }

        @Override
        public Future<Optional<KeyInfo>> release(final EntityId entityId) {
            return store.release(entityId);
        }

        @Override
        public Future<ReleaseResult> releaseByOwner(final EntityId entityId, final UserId user,
                final GatewayId gateway, final DigestUse use, final Admission admission) {
            return store.releaseByOwner(entityId, user, gateway, use, admission);
        }

        @Override
        public Future<Void> storeConsent(final EntityId entityId, final RequestId requestId, final String receipt) {
            return store.storeConsent(entityId, requestId, receipt);
        }

        @Override
        public Future<java.util.Map<RequestId, String>> consents(final EntityId entityId) {
            return store.consents(entityId);
        }

        @Override
        public Future<Void> advanceAuditHead(final AuditHead head) {
            return store.advanceAuditHead(head);
        }

        @Override
        public Future<Optional<AuditHead>> auditHead(final String log) {
            return store.auditHead(log);
        }

        @Override
        public Future<List<KeyInfo>> list() {
            return store.list();
        }

        @Override
        public Future<Void> close() {
            return store.close();
        }
    }
}
