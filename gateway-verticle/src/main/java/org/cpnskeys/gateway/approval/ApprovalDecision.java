package org.cpnskeys.gateway.approval;

/** The user's answer to a Key Request (seed step 3 / F3, R7). Only {@link #APPROVED} lets the gateway forward it. */
public enum ApprovalDecision {
    /** The user validated the request: the gateway may forward it to the CPNS Server. */
    APPROVED,
    /** The user (or a rule) refused the request. */
    DENIED,
    /** Nobody answered before the request's {@code expiresAt}: treated as a refusal. */
    EXPIRED
}
