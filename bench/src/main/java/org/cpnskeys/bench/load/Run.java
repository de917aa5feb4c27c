package org.cpnskeys.bench.load;

import java.util.Map;

import org.HdrHistogram.Histogram;

/**
 * What one measured window (or several merged) saw.
 *
 * @param offeredPerSecond requests the generator sent per second (open loop: the schedule's rate as made; closed
 *         loop: what the loop sent, which the system's answers set)
 * @param perSecond answers with the expected status per second
 * @param latency latency of those answers, in nanoseconds, from each request's intended send time
 * @param statuses answers by status (-1: no answer: timed out or failed to send)
 * @param errors answers other than the expected status, requests not answered in time, and sends the schedule could
 *         not make
 * @param missed of the errors, the sends the schedule could not make (too many outstanding, or later than the timeout)
 * @param lateSends sends made later than the lateness tolerance after their intended time
 * @param maxLagNanos the generator's largest delay behind its schedule
 * @param cpu process CPU over the window, as a fraction of all cores
 * @param seconds the measured time
 */
record Run(double offeredPerSecond, double perSecond, Histogram latency, Map<Integer, Long> statuses, long errors,
        long missed, long lateSends, long maxLagNanos, double cpu, double seconds) {

    /** The windows together: counts summed, rates over the summed time, latencies merged. */
    static Run merge(final java.util.List<Run> runs) {
        final Histogram h = new Histogram(3);
        final Map<Integer, Long> statuses = new java.util.TreeMap<>();
        double offered = 0;
        double ok = 0;
        double seconds = 0;
        double cpu = 0;
        long errors = 0;
        long missed = 0;
        long late = 0;
        long lag = 0;
        for (final Run r : runs) {
            h.add(r.latency());
            r.statuses().forEach((k, v) -> statuses.merge(k, v, Long::sum));
            offered += r.offeredPerSecond() * r.seconds();
            ok += r.perSecond() * r.seconds();
            cpu += r.cpu() * r.seconds();
            seconds += r.seconds();
            errors += r.errors();
            missed += r.missed();
            late += r.lateSends();
            lag = Math.max(lag, r.maxLagNanos());
        }
        final double t = Math.max(seconds, 1e-9);
        return new Run(offered / t, ok / t, h, statuses, errors, missed, late, lag, cpu / t, seconds);
    }

    /** Latency at a percentile in milliseconds (0 without answers). */
    double ms(final double percentile) {
        return latency.getTotalCount() == 0 ? 0 : latency.getValueAtPercentile(percentile) / 1e6;
    }
}
