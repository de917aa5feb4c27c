package org.cpnskeys.server.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import io.vertx.core.Future;

import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.server.store.Admission;
import org.cpnskeys.server.store.EuKeyRepository;
import org.cpnskeys.server.store.FailureCount;
import org.cpnskeys.server.store.FailureStanding;

/**
 * Lets a digest answer be judged only while the failures of its user and gateway allow it ([H] 4b), with the
 * {@link AttemptPolicy}. The failures live in the store, shared by every server and written only when one
 * happens; this gate keeps, in this process only, what it learnt of them and the attempts being judged now:
 * <ol>
 * <li>{@link #reserve}: refused at once (429) when what it knows refuses the attempt, or when the attempts
 * already being judged for the pair (or the gateway) would reach the limit together: pipelined wrong answers
 * cannot all pass the check before the first failure is counted;
 * <li>{@link Attempt#judge}: a wrong answer is counted in the store before its reservation is freed (the answer
 * is 401, or 429 when the failures counted before it already refused it: a guess made through a server that did
 * not yet know is not told it was wrong); a right one frees its reservation at once, so successes never queue;
 * <li>{@link Attempt#admission}: the assignment's own transaction asks the store's failures again, so failures
 * counted on another server lock out here too, at no extra round trip; a replayed answer is refused there
 * before this resets anything.
 * </ol>
 * Nothing here is shared between servers: on the success path there is no cluster-wide operation.
 */
public final class AttemptGate {
    private final EuKeyRepository store;
    private final AttemptPolicy policy;
    private final Clock clock;
    /** Per scope key ("p" user NUL gateway, "u" user, "g" gateway): what is known and being judged. Guarded by this. */
    private final Map<String, Scope> scopes = new HashMap<>();

    private static final class Scope {
        FailureCount known = FailureCount.NONE;
        int judging;
    }

    public AttemptGate(final EuKeyRepository store, final AttemptPolicy policy, final Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The policy this gate applies. */
    public AttemptPolicy policy() {
        return policy;
    }

    /** Reserves the judgement of one answer of {@code user} through {@code gateway}, or fails with 429. */
    public Future<Attempt> reserve(final UserId user, final GatewayId gateway) {
        final Attempt attempt = new Attempt(user, gateway);
        final Instant now = clock.instant();
        synchronized (this) {
            final Scope pair = scopes.computeIfAbsent(attempt.pairKey, k -> new Scope());
            final Scope gw = scopes.computeIfAbsent(attempt.gatewayKey, k -> new Scope());
            final Scope usr = scopes.get(attempt.userKey);
            final FailureStanding known = new FailureStanding(pair.known, usr == null ? FailureCount.NONE : usr.known,
                    gw.known);
            Optional<Duration> wait = policy.refusal(known, now);
            if (wait.isEmpty() && (pair.known.at(now) + pair.judging >= policy.pairLimit()
                    || gw.known.at(now) + gw.judging >= policy.gatewayLimit())) {
                wait = Optional.of(Duration.ofSeconds(1)); // as many are being judged as may still fail
            }
            if (wait.isPresent()) {
                forgetIfIdle(attempt.pairKey, pair, now);
                forgetIfIdle(attempt.gatewayKey, gw, now);
                return Future.failedFuture(lockedOut(user, gateway, wait.get()));
            }
            pair.judging++;
            gw.judging++;
        }
        return Future.succeededFuture(attempt);
    }

    /** One reserved judgement; {@link #judge} frees it. */
    public final class Attempt {
        private final UserId user;
        private final GatewayId gateway;
        private final String pairKey;
        private final String userKey;
        private final String gatewayKey;
        private boolean freed;

        private Attempt(final UserId user, final GatewayId gateway) {
            this.user = user;
            this.gateway = gateway;
            this.pairKey = "p" + user.value() + '\0' + gateway.value();
            this.userKey = "u" + user.value();
            this.gatewayKey = "g" + gateway.value();
        }

        /**
         * Follows the verdict on the answer: a right one frees the reservation and passes the verdict on; a wrong
         * one is counted in the store first, then fails with 401 ({@code ProtocolException}), or with 429
         * ({@link LockedOutException}) when the failures counted before it already refused it.
         */
        public <T> Future<T> judge(final Future<T> verdict) {
            return verdict.transform(judged -> {
                if (judged.succeeded()) {
                    free(Optional.empty());
                    return Future.succeededFuture(judged.result());
                }
                final Instant now = clock.instant();
                return store.recordFailure(user, gateway, now, policy.window()).transform(recorded -> {
                    if (recorded.failed()) {
                        free(Optional.empty());
                        return Future.failedFuture(recorded.cause());
                    }
                    final FailureStanding after = recorded.result();
                    free(Optional.of(after));
                    final Optional<Duration> wait = policy.refusal(after, now);
                    return Future.failedFuture(wait.isPresent() && refusedBefore(after)
                            ? lockedOut(user, gateway, wait.get())
                            : new ProtocolException(Status.UNAUTHORIZED, "authentication failed"));
                });
            });
        }

        /**
         * Whether the failures recorded before this one (the store's counts after it, less one) already refused
         * the attempt: it was judged only because this server did not know yet (they were counted on another
         * server, or at the same moment), so its answer must not tell whether it was right. Within a user's
         * delays the time of the previous failure is gone: such a failure is taken as refused before.
         */
        private boolean refusedBefore(final FailureStanding after) {
            return after.pair().failures() > policy.pairLimit() || after.gateway().failures() > policy.gatewayLimit()
                    || after.user().failures() > policy.userThreshold() && after.pair().failures() > 1;
        }

        /**
         * What the assignment's transaction asks: the policy on the store's failures, learnt here on the way. The
         * policy admits whatever has no failure recorded, so the store asks only when some are.
         */
        public Admission admission() {
            return new Admission() {
                @Override
                public Optional<Duration> refusal(final FailureStanding standing) {
                    learn(Attempt.this, standing);
                    return policy.refusal(standing, clock.instant());
                }

                @Override
                public boolean admitsWithoutFailures() {
                    return true;
                }
            };
        }

        private void free(final Optional<FailureStanding> learnt) {
            synchronized (AttemptGate.this) {
                if (freed) {
                    return;
                }
                freed = true;
                learnt.ifPresent(s -> learn(this, s));
                final Instant now = clock.instant();
                release(pairKey, now);
                release(gatewayKey, now);
            }
        }
    }

    /** Replaces what is known of the attempt's three scopes by what the store said. */
    private synchronized void learn(final Attempt a, final FailureStanding s) {
        final Instant now = clock.instant();
        know(a.pairKey, s.pair(), now);
        know(a.userKey, s.user(), now);
        know(a.gatewayKey, s.gateway(), now);
    }

    private void know(final String key, final FailureCount count, final Instant now) {
        final Scope scope = count.at(now) > 0 ? scopes.computeIfAbsent(key, k -> new Scope()) : scopes.get(key);
        if (scope != null) {
            scope.known = count;
            forgetIfIdle(key, scope, now);
        }
    }

    private void release(final String key, final Instant now) {
        final Scope scope = scopes.get(key);
        if (scope != null) {
            scope.judging = Math.max(0, scope.judging - 1);
            forgetIfIdle(key, scope, now);
        }
    }

    private void forgetIfIdle(final String key, final Scope scope, final Instant now) {
        if (scope.judging == 0 && scope.known.at(now) == 0) {
            scopes.remove(key);
        }
    }

    /** How many scopes this process holds (for tests: they must not grow with successes). */
    synchronized int scopes() {
        return scopes.size();
    }

    /** The refusal of an attempt that must wait {@code wait}: 429, with the wait rounded up to seconds. */
    public static LockedOutException lockedOut(final UserId user, final GatewayId gateway, final Duration wait) {
        return new LockedOutException("too many failed attempts for user " + user.value() + " through gateway "
                + gateway.value() + "; retry later", (int) Math.max(1, (wait.toMillis() + 999) / 1000));
    }
}
