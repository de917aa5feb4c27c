package org.cpnskeys.bench.load;

import java.time.Duration;

/** A way of sending requests (closed loop or open loop), started once per measured window. */
interface Load {
    /** Starts sending through {@code requester}, counting into {@code tally}. */
    Running start(Requester requester, Tally tally);

    /** One line for the log, e.g. "512 in flight" or "open loop at 4000/s". */
    String describe();

    /** A started load. */
    interface Running {
        /** Sends no more requests. */
        void stop();

        /** Waits until every request sent has been answered or has failed, at most {@code max}; true if so. */
        boolean drain(Duration max) throws InterruptedException;
    }
}
