package org.cpnskeys.deploy;

import java.util.Optional;

/**
 * A mistake a person can fix, with what to do about it: the launcher prints {@code cpns: <message>} and, when
 * there is one, {@code hint: <hint>}, then exits 1 (no stack trace unless {@code --verbose} or
 * {@code CPNS_DEBUG=1}). Commands may equally throw {@link IllegalArgumentException} with a message naming the
 * file or option at fault; this type only adds the hint.
 */
public final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String hint;

    public CliException(final String message, final String hint) {
        this(message, hint, null);
    }

    public CliException(final String message, final String hint, final Throwable cause) {
        super(message, cause);
        this.hint = hint;
    }

    /** What to do about it, if anything useful can be said. */
    public Optional<String> hint() {
        return Optional.ofNullable(hint).filter(h -> !h.isBlank());
    }
}
