package org.cpnskeys.server.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import io.vertx.core.Future;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;

/**
 * A mix of assignments submitted all at once, as a batching store takes them together: {@link #setUp} stores
 * what they meet, {@link #submit} issues them without waiting, {@link #check} verifies each outcome and the table.
 * <ul>
 * <li>carol claims bob's entity (a conflict), with a new request ID and with bob's own request ID;
 * <li>alice retries her request for pne-c with a new nonce count (the key stored then), bob retries his;
 * <li>alice rotates pne-a twice at once (both created, one ACTIVE at the end, the first key SUPERSEDED);
 * <li>dave's two assignments authorised by one (nonce, nc) pair (one created, the other a replay);
 * <li>frank, who has a failure recorded, is admitted twice, for two entities (his pair's failure forgotten, his
 * user's kept); grace, whose
 * admission refuses, gets a refusal and no key;
 * <li>ten new entities of eve.
 * </ul>
 */
final class MixedAssignments {
    /** How many assignments {@link #submit} issues. */
    static final int SIZE = 21;
    private static final Duration WINDOW = Duration.ofMinutes(15);
    private final NewKey alice1 = EuKeyRepositoryContract.key("pne-a", "alice", "a1");
    private final NewKey bob1 = EuKeyRepositoryContract.key("pne-b", "bob", "b1");
    private final NewKey aliceC = EuKeyRepositoryContract.key("pne-c", "alice", "c1");
    private final List<NewKey> submitted = new ArrayList<>();

    /** Stores alice's and bob's first keys and frank's failure. */
    Future<Void> setUp(final EuKeyRepository store) {
        return EuKeyRepositoryContract.assign(store, alice1)
                .compose(r -> EuKeyRepositoryContract.assign(store, bob1))
                .compose(r -> EuKeyRepositoryContract.assign(store, aliceC))
                .compose(r -> store.recordFailure(UserId.of("frank"), GatewayId.of("gw-frank"), Instant.now(), WINDOW))
                .mapEmpty();
    }

    /** Issues every assignment of the mix at once; the futures in the order {@link #check} expects. */
    List<Future<AssignResult>> submit(final EuKeyRepository store) {
        final DigestUse daveUse = EuKeyRepositoryContract.freshUse();
        final Admission refuse = s -> Optional.of(Duration.ofSeconds(9));
        final List<Future<AssignResult>> out = new ArrayList<>();
        out.add(any(store, EuKeyRepositoryContract.key("pne-b", "carol", "x1")));          // 0 conflict
        out.add(any(store, EuKeyRepositoryContract.key("pne-b", "carol", "b1")));          // 1 conflict
        out.add(any(store, EuKeyRepositoryContract.key("pne-c", "alice", "c1")));          // 2 existing
        out.add(any(store, EuKeyRepositoryContract.key("pne-b", "bob", "b1")));            // 3 existing
        out.add(any(store, EuKeyRepositoryContract.key("pne-a", "alice", "a2")));          // 4 rotation
        out.add(any(store, EuKeyRepositoryContract.key("pne-a", "alice", "a3")));          // 5 rotation
        out.add(with(store, EuKeyRepositoryContract.key("pne-d1", "dave", "d1"), daveUse, Admission.ANY)); // 6
        out.add(with(store, EuKeyRepositoryContract.key("pne-d2", "dave", "d2"), daveUse, Admission.ANY)); // 7
        out.add(any(store, EuKeyRepositoryContract.key("pne-f", "frank", "f1")));          // 8 admitted
        out.add(with(store, EuKeyRepositoryContract.key("pne-g", "grace", "g1"), EuKeyRepositoryContract.freshUse(),
                refuse));                                                                   // 9 refused
        for (int i = 0; i < 10; i++) {
            out.add(any(store, EuKeyRepositoryContract.key("pne-e" + i, "eve", "e" + i)));  // 10.. created
        }
        out.add(any(store, EuKeyRepositoryContract.key("pne-f2", "frank", "f2")));         // 20 admitted too
        return out;
    }

    private Future<AssignResult> any(final EuKeyRepository store, final NewKey k) {
        return with(store, k, EuKeyRepositoryContract.freshUse(), Admission.ANY);
    }

    private Future<AssignResult> with(final EuKeyRepository store, final NewKey k, final DigestUse use,
            final Admission admission) {
        submitted.add(k);
        return store.assign(k, use, admission);
    }

    /** Checks each outcome, the stored keys (entity, user, request, state) and frank's failures after. */
    void check(final List<Future<AssignResult>> results, final List<KeyInfo> all, final FailureStanding frank) {
        final List<AssignResult> r = results.stream().map(Future::result).toList();
        assertEquals(new AssignResult.Conflict(), r.get(0));
        assertEquals(new AssignResult.Conflict(), r.get(1));
        assertEquals(new AssignResult.Existing(aliceC.stored(KeyState.ACTIVE)), r.get(2));
        assertEquals(new AssignResult.Existing(bob1.stored(KeyState.ACTIVE)), r.get(3));
        assertEquals(new AssignResult.Created(submitted.get(4).stored(KeyState.ACTIVE)), r.get(4));
        assertEquals(new AssignResult.Created(submitted.get(5).stored(KeyState.ACTIVE)), r.get(5));
        final List<AssignResult> dave = r.subList(6, 8);
        assertEquals(1, dave.stream().filter(AssignResult.Created.class::isInstance).count(), "one pair: " + dave);
        assertEquals(1, dave.stream().filter(AssignResult.Replayed.class::isInstance).count(), "one pair: " + dave);
        assertEquals(new AssignResult.Created(submitted.get(8).stored(KeyState.ACTIVE)), r.get(8));
        assertEquals(new AssignResult.Refused(Duration.ofSeconds(9)), r.get(9));
        for (int i = 10; i < 21; i++) {
            assertEquals(new AssignResult.Created(submitted.get(i).stored(KeyState.ACTIVE)), r.get(i));
        }

        final Set<String> rows = all.stream().map(k -> k.entityId().value() + "/" + k.userId().value() + "/"
                + k.requestId().value() + "/" + k.state()).collect(Collectors.toSet());
        final boolean a3Last = all.stream().filter(k -> k.entityId().equals(EntityId.of("pne-a")))
                .reduce((a, b) -> b).orElseThrow().requestId().equals(RequestId.of("a3"));
        final Set<String> expected = new java.util.HashSet<>(Set.of("pne-a/alice/a1/SUPERSEDED",
                "pne-a/alice/a2/" + (a3Last ? "SUPERSEDED" : "ACTIVE"),
                "pne-a/alice/a3/" + (a3Last ? "ACTIVE" : "SUPERSEDED"),
                "pne-b/bob/b1/ACTIVE", "pne-c/alice/c1/ACTIVE", "pne-f/frank/f1/ACTIVE", "pne-f2/frank/f2/ACTIVE"));
        expected.add(r.get(6) instanceof AssignResult.Created ? "pne-d1/dave/d1/ACTIVE" : "pne-d2/dave/d2/ACTIVE");
        for (int i = 0; i < 10; i++) {
            expected.add("pne-e" + i + "/eve/e" + i + "/ACTIVE");
        }
        assertEquals(expected, rows);
        assertEquals(rows.size(), all.size(), "no row twice");
        assertEquals(0, frank.pair().failures(), "frank's admitted assignment forgot his pair's failure");
        assertEquals(1, frank.user().failures(), "his user's failure stays");
        assertTrue(all.stream().noneMatch(k -> k.userId().value().equals("grace")), "grace was refused");
    }
}
