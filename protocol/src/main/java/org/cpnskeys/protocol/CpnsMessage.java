package org.cpnskeys.protocol;

/** One protocol message: a JSON object with {@code "v": 2} and a {@code type}. There is no other version. */
public sealed interface CpnsMessage permits KeyRequest, KeyRelease, Challenge, KeyDelivery, StatusReport {
    int VERSION = 2;

    /** The wire name of this message's type. */
    String type();
}
