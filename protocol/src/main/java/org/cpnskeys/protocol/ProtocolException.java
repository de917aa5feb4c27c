package org.cpnskeys.protocol;

/**
 * A failure that maps to a status code at the edge. The message is safe to send back to the peer and to
 * log: it never contains secrets.
 */
public class ProtocolException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;

    public ProtocolException(final int status, final String reason) {
        super(reason, null, false, false);
        this.status = status;
    }

    public ProtocolException(final int status, final String reason, final Throwable cause) {
        super(reason, cause, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }

    public String reason() {
        return getMessage();
    }

    public static ProtocolException badRequest(final String reason) {
        return new ProtocolException(Status.BAD_REQUEST, reason);
    }
}
