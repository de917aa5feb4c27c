package org.cpnskeys.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;

import io.vertx.core.Future;

import org.junit.jupiter.api.Test;

/** A port in use is named with the option that sets it, before start-up and when taken during it. */
class ListenPortsTest {
    @Test
    void ensureFree_portHeldByAnother_namesPortAndOption() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            final int port = taken.getLocalPort();
            final CliException e = assertThrows(CliException.class, () -> ListenPorts.of(List.of(
                    new ListenPorts.Port("--web-port", "127.0.0.1", port))).ensureFree());
            assertEquals("port " + port + " on 127.0.0.1 is in use (--web-port)", e.getMessage());
            assertTrue(e.hint().orElseThrow().contains("--web-port"));
        }
    }

    @Test
    void ensureFree_freePortsAndPortZero_pass() throws Exception {
        final int free;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            free = s.getLocalPort();
        }
        ListenPorts.of(List.of(new ListenPorts.Port("--port", "127.0.0.1", free),
                new ListenPorts.Port("--admin-port", "127.0.0.1", 0))).ensureFree();
    }

    @Test
    void naming_bindFailureDuringStart_listsTheOptions_otherFailuresUnchanged() {
        final ListenPorts ports = ListenPorts.of(List.of(new ListenPorts.Port("--management-port", "127.0.0.1", 9100)));
        final Throwable named = ports.naming(Future.failedFuture(new IllegalStateException("listen",
                new BindException("Address already in use")))).cause();
        assertTrue(named instanceof CliException && named.getMessage().contains("--management-port 9100"), named.toString());
        final IllegalStateException other = new IllegalStateException("no users yet");
        assertSame(other, ports.naming(Future.failedFuture(other)).cause());
    }
}
