package org.cpnskeys.protocol;

/** One protocol message: a JSON object with {@code "v": 1} and a {@code type}. */
public sealed interface CpnsMessage permits KeyRequest, Challenge, KeyDelivery, StatusReport {
    int VERSION = 1;

    /** The wire name of this message's type. */
    String type();
}
