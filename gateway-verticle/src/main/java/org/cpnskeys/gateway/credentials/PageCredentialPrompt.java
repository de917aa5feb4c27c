package org.cpnskeys.gateway.credentials;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The R6 prompt path on the gateway's web page: when a PNE asks for a proxy and no credentials are configured, the
 * page shows why and offers its credential form; the form's handler stores HA1 (through {@link GatewayCredentials})
 * and calls {@link #provided}, which answers every waiting ask at once. An ask nobody answers within the timeout
 * gets an empty answer (the PNE is refused, 403). Never sees the password. Thread-safe; each future completes on
 * the Vert.x context of its caller.
 */
public final class PageCredentialPrompt implements CredentialPrompt {
    private static final class Waiting {
        final Context context;
        final String why;
        final Promise<Optional<UserCredentials>> promise = Promise.promise();
        long timerId;

        Waiting(final Context context, final String why) {
            this.context = context;
            this.why = why;
        }
    }

    private final Vertx vertx;
    private final Duration timeout;
    private final List<Waiting> waiting = new ArrayList<>();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    public PageCredentialPrompt(final Vertx vertx, final Duration timeout) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("credential prompt timeout must be positive");
        }
        this.timeout = timeout;
    }

    @Override
    public Future<Optional<UserCredentials>> ask(final String realm, final String why) {
        final Waiting w = new Waiting(vertx.getOrCreateContext(), why == null ? "" : why);
        synchronized (waiting) {
            waiting.add(w);
            w.timerId = vertx.setTimer(timeout.toMillis(), id -> complete(List.of(w), Optional.empty()));
        }
        changed();
        return w.promise.future();
    }

    /** The credentials were stored from the page: every waiting ask gets them. */
    public void provided(final UserCredentials credentials) {
        final List<Waiting> all;
        synchronized (waiting) {
            all = new ArrayList<>(waiting);
        }
        complete(all, Optional.of(credentials));
    }

    /** Why the user is being asked (one line per waiting PNE, duplicates removed); empty when nobody waits. */
    public List<String> reasons() {
        final Set<String> whys = new LinkedHashSet<>();
        synchronized (waiting) {
            waiting.forEach(w -> whys.add(w.why));
        }
        return List.copyOf(whys);
    }

    /** Calls {@code listener} after every change; returns the action that removes it. */
    public Runnable onChange(final Runnable listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    private void complete(final List<Waiting> which, final Optional<UserCredentials> answer) {
        final List<Waiting> done = new ArrayList<>();
        synchronized (waiting) {
            for (final Waiting w : which) {
                if (waiting.remove(w)) {
                    vertx.cancelTimer(w.timerId);
                    done.add(w);
                }
            }
        }
        done.forEach(w -> w.context.runOnContext(v -> w.promise.tryComplete(answer)));
        if (!done.isEmpty()) {
            changed();
        }
    }

    private void changed() {
        for (final Runnable l : listeners) {
            try {
                l.run();
            } catch (RuntimeException e) {
                // a broken listener must not stop the prompt
            }
        }
    }
}
