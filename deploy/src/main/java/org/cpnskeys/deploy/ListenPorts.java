package org.cpnskeys.deploy;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.stream.Collectors;

import io.vertx.core.Future;

/**
 * The ports a role listens on, each with the option that sets it, so that "Address already in use" becomes
 * "port 1883 on 127.0.0.1 is in use (--port)". {@link #ensureFree} tries each before the role starts (nothing of
 * the role's own is bound yet, so a port found taken is taken by someone else); {@link #naming} maps a bind
 * failure during start-up (a port taken in between) to a message listing the options.
 */
final class ListenPorts {
    /** One listening port: the option that sets it, the address and the port (0: any free one, not checked). */
    record Port(String option, String host, int port) {
        @Override
        public String toString() {
            return option + " " + port;
        }
    }

    private final List<Port> ports;

    private ListenPorts(final List<Port> ports) {
        this.ports = ports.stream().filter(p -> p.port() > 0).toList();
    }

    static ListenPorts of(final List<Port> ports) {
        return new ListenPorts(ports);
    }

    /** Fails with the port and its option when one cannot be bound; other errors are left to the start-up. */
    ListenPorts ensureFree() {
        for (final Port p : ports) {
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(p.host(), p.port()));
            } catch (BindException e) {
                throw inUse(p, e);
            } catch (IOException | IllegalArgumentException | SecurityException e) {
                // an unresolvable host and the like: the start-up reports it with its own words
            }
        }
        return this;
    }

    private static CliException inUse(final Port p, final BindException e) {
        final String reason = e.getMessage() == null ? "" : e.getMessage();
        if (reason.contains("in use")) {
            return new CliException("port " + p.port() + " on " + p.host() + " is in use (" + p.option() + ")",
                    "stop what listens there, or choose another port with " + p.option(), e);
        }
        return new CliException("cannot listen on " + p.host() + ":" + p.port() + " (" + p.option() + "): " + reason,
                "give an address of this machine", e);
    }

    /** {@code start}, with a bind failure turned into a message that names the options of the ports. */
    <T> Future<T> naming(final Future<T> start) {
        return start.recover(e -> Future.failedFuture(isAddressInUse(e)
                ? new CliException("a port was taken while starting (" + ports.stream().map(Port::toString)
                        .collect(Collectors.joining(", ")) + ")", "stop what listens there, or choose other ports", e)
                : e));
    }

    private static boolean isAddressInUse(final Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof BindException || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
                return true;
            }
        }
        return false;
    }
}
