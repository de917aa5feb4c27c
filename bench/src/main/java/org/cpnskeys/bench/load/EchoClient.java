package org.cpnskeys.bench.load;

import java.util.Locale;

/** Which MQTT client the echo relays use ({@code --ceiling-client}). */
enum EchoClient {
    HIVEMQ, VERTX;

    /** The option's value, either case; anything else is refused, naming the option. */
    static EchoClient of(final String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--ceiling-client must be hivemq or vertx, not " + name);
        }
    }
}
