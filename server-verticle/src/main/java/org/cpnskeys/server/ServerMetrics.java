package org.cpnskeys.server;

/**
 * What the server reports about itself. The default does nothing; the launcher supplies a Micrometer-based
 * implementation, so that no class here depends on a metrics library.
 */
public interface ServerMetrics {
    ServerMetrics NOOP = new ServerMetrics() {
    };

    /**
     * One Key Request answered.
     *
     * @param outcome {@code challenged}, {@code delivered} or {@code refused}
     * @param status the status of the answer (401 for a challenge)
     * @param nanos time from receipt to answer
     */
    default void keyRequest(final String outcome, final int status, final long nanos) {
    }

    /**
     * A stored EUKey did not open: its sealed bytes do not match its row (the row, or the bytes, were changed in
     * the database, or they were sealed under another master key). It was not delivered.
     */
    default void storedKeyUnopenable() {
    }

    /** A Key Request was refused (429) because its user and gateway, or its gateway, are locked out. */
    default void lockedOut() {
    }

    /**
     * A Key Request failed for a reason no request explains (the store failed, a bug): it was refused with 500.
     */
    default void internalError() {
    }
}
