package org.cpnskeys.server.auth;

import java.io.IOException;

/**
 * An htdigest file that cannot be used. The message names the file and the line (1-based) and never quotes
 * the line itself, which may hold an HA1 or a mistyped password.
 */
public final class InvalidHtdigestFileException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int line;

    public InvalidHtdigestFileException(final String source, final int line, final String problem) {
        super(source + (line > 0 ? " line " + line : "") + ": " + problem);
        this.line = line;
    }

    /** The offending line, 1-based; 0 when the problem is not tied to one line. */
    public int line() {
        return line;
    }
}
