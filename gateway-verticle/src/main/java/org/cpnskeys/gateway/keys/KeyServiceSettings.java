package org.cpnskeys.gateway.keys;

import java.time.Duration;

/**
 * What {@link GatewayKeyService} needs to know of the gateway's configuration.
 *
 * @param realm the digest realm of the user's credentials when the gateway prompts for them
 * @param promptForCredentials with no credentials configured, ask the user for them (R6 "MAY prompt") instead of
 *        dropping a proxy request (R6 "MAY drop")
 * @param approvalTimeout how long the user has to approve a request before it is refused (403)
 * @param retryAfterSeconds the {@code retryAfter} hint sent with {@code 202}
 * @param cloudTimeout how long to wait for the server's answer to one sending of a request
 * @param cloudAttempts how many times one request is sent before the server counts as unreachable
 * @param maxPendingApprovals how many requests may wait for the user at once; more are refused with 429
 * @param cloudQueueTime how long an approved proxy request waits for an unreachable server before it is answered 503
 */
public record KeyServiceSettings(String realm, boolean promptForCredentials, Duration approvalTimeout,
        int retryAfterSeconds, Duration cloudTimeout, int cloudAttempts, int maxPendingApprovals,
        Duration cloudQueueTime) {
    public KeyServiceSettings {
        if (realm == null || approvalTimeout == null || cloudTimeout == null || cloudQueueTime == null) {
            throw new IllegalArgumentException("realm and durations are required");
        }
        if (retryAfterSeconds < 1 || cloudAttempts < 1 || maxPendingApprovals < 1 || approvalTimeout.isNegative()
                || approvalTimeout.isZero() || cloudTimeout.isNegative() || cloudTimeout.isZero()) {
            throw new IllegalArgumentException("retryAfter, attempts, pending approvals and timeouts must be positive");
        }
    }
}
