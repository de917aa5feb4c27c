package org.cpnskeys.gateway;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** The gateway's live state for readiness checks and gauges: broker connections and pending approvals. */
public final class GatewayHealth {
    final AtomicBoolean panConnected = new AtomicBoolean();
    final AtomicBoolean cloudConnected = new AtomicBoolean();
    final AtomicInteger pendingApprovals = new AtomicInteger();
    final AtomicInteger queuedForCloud = new AtomicInteger();

    public boolean panConnected() {
        return panConnected.get();
    }

    public boolean cloudConnected() {
        return cloudConnected.get();
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
