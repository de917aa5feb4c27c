package org.cpnskeys.protocol.mqtt;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one rule every role follows for MQTT without TLS: allowed only to a loopback address, or when the operator
 * asked for it by name ({@code --insecure-plaintext}), with a warning at every start.
 *
 * <p>On a plain link anyone on the path reads the gateway's cloud token, every digest answer and every wrapped
 * EUKey, and can test password guesses offline with them. A loopback link never leaves the machine. The name is
 * resolved and <b>every</b> address it resolves to must be loopback ({@code localhost} is, a name that also has a
 * public address is not). Resolution is blocking: call it at start, not on an event loop.
 */
public final class PlaintextPolicy {
    private static final Logger LOG = LoggerFactory.getLogger(PlaintextPolicy.class);
    /** The option that accepts a plain link to another host, as every command names it. */
    public static final String INSECURE_OPTION = "--insecure-plaintext";

    private PlaintextPolicy() {
    }

    /** Whether {@code host} resolves, and only to loopback addresses. Blocking (name resolution). */
    public static boolean isLoopback(final String host) {
        return refusal(host).isEmpty();
    }

    /**
     * Checks a plain MQTT link to {@code host}: returns when the host is loopback; with {@code insecure} logs a
     * warning and returns; otherwise refuses.
     *
     * @param what the link, for the messages (e.g. "cloud broker link")
     * @throws IllegalArgumentException saying why the link is refused and what to do
     */
    public static void check(final String host, final boolean insecure, final String what) {
        final Optional<String> refusal = refusal(host);
        if (refusal.isEmpty()) {
            return;
        }
        if (insecure) {
            LOG.warn("INSECURE: plain MQTT {} to {} ({}) because {} was given: anyone on the path can read tokens,"
                    + " digest answers and wrapped EUKeys, and test password guesses offline with them. Use TLS.",
                    what, host, refusal.get(), INSECURE_OPTION);
            return;
        }
        throw new IllegalArgumentException("refusing plain MQTT " + what + " to " + host + ": " + refusal.get()
                + ", and without TLS anyone on the path could read tokens, digest answers and wrapped EUKeys. Use"
                + " TLS (give the cloud CA, e.g. the gateway's --cloud-config file from 'cpns server add-gateway', or"
                + " --cloud-ca / --broker-ca), or, only on a network you fully trust, pass " + INSECURE_OPTION);
    }

    /** Why {@code host} is not loopback, or empty when it is. */
    private static Optional<String> refusal(final String host) {
        final InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            return Optional.of("the name does not resolve");
        }
        if (addresses.length > 0 && Arrays.stream(addresses).allMatch(InetAddress::isLoopbackAddress)) {
            return Optional.empty();
        }
        return Optional.of("it resolves to " + Arrays.stream(addresses)
                .filter(a -> !a.isLoopbackAddress()).map(InetAddress::getHostAddress)
                .collect(Collectors.joining(", ")) + ", not only to loopback");
    }
}
