package org.cpnskeys.protocol;

import java.util.Objects;
import java.util.Optional;

/**
 * A decoded message with the {@code traceparent} it carried, if any: the field is the same on every message type,
 * so the codec reads and writes it in one place and the message records do not carry it.
 */
public record Traced<T extends CpnsMessage>(T message, Optional<TraceParent> traceparent) {
    public Traced {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(traceparent, "traceparent");
    }
}
