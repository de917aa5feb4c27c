package org.cpnskeys.gateway;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The gateway's live state for readiness checks and gauges: broker connections (of every verticle instance) and
 * pending approvals.
 */
public final class GatewayHealth {
    private final AtomicInteger panUp = new AtomicInteger();
    private final AtomicInteger cloudUp = new AtomicInteger();
    private volatile int instances = 1;
    private final AtomicInteger pendingApprovals = new AtomicInteger();
    private final AtomicInteger queuedForCloud = new AtomicInteger();

    /** How many gateway verticle instances report here (each with one PAN and one cloud connection). */
    void instances(final int n) {
        instances = n;
    }

    /** A listener for one instance's PAN connection state. */
    Consumer<Boolean> panTracker() {
        return tracker(panUp);
    }

    /** A listener for one instance's cloud connection state. */
    Consumer<Boolean> cloudTracker() {
        return tracker(cloudUp);
    }

    private static Consumer<Boolean> tracker(final AtomicInteger up) {
        final AtomicBoolean last = new AtomicBoolean();
        return connected -> {
            if (last.compareAndSet(!connected, connected)) {
                if (connected) {
                    up.incrementAndGet();
                } else {
                    up.decrementAndGet();
                }
            }
        };
    }

    /** Every instance is connected to the PAN broker. */
    public boolean panConnected() {
        return panUp.get() >= instances;
    }

    /** Every instance is connected to the cloud broker. */
    public boolean cloudConnected() {
        return cloudUp.get() >= instances;
    }

    /**
     * Counts one more Key Request waiting for the user's decision, unless {@code max} already wait: then counts
     * nothing and answers false.
     */
    public boolean awaitingApproval(final int max) {
        if (pendingApprovals.incrementAndGet() > max) {
            pendingApprovals.decrementAndGet();
            return false;
        }
        return true;
    }

    /** A Key Request counted by {@link #awaitingApproval} got its decision. */
    public void approvalDecided() {
        pendingApprovals.decrementAndGet();
    }

    /** An approved request starts ({@code true}) or stops waiting for an unreachable CPNS Server. */
    public void queuedForCloud(final boolean queued) {
        queuedForCloud.addAndGet(queued ? 1 : -1);
    }

    public int pendingApprovals() {
        return pendingApprovals.get();
    }

    /** Approved requests waiting for an unreachable CPNS Server. */
    public int queuedForCloud() {
        return queuedForCloud.get();
    }

    /** Ready: connected to the PAN broker and to the cloud. */
    public boolean ready() {
        return panConnected() && cloudConnected();
    }
}
