package org.cpnskeys.deploy.e2e;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An eavesdropper on a link: a TCP proxy on loopback that forwards every connection to a target port and records
 * every byte in both directions. Its target can be set after it listens (the target may start later).
 */
final class RecordingTcpProxy implements AutoCloseable {
    private final ServerSocket listener;
    private final ByteArrayOutputStream upstream = new ByteArrayOutputStream();
    private final ByteArrayOutputStream downstream = new ByteArrayOutputStream();
    private final AtomicInteger connections = new AtomicInteger();
    private final List<Socket> sockets = new ArrayList<>();
    private volatile int targetPort;

    RecordingTcpProxy() throws IOException {
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final Thread acceptor = new Thread(this::acceptLoop, "recording-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    RecordingTcpProxy target(final int port) {
        targetPort = port;
        return this;
    }

    /** How many connections clients opened through the proxy. */
    int connections() {
        return connections.get();
    }

    /** Everything the clients sent. */
    byte[] fromClients() {
        synchronized (upstream) {
            return upstream.toByteArray();
        }
    }

    /** Everything the target sent back. */
    byte[] fromTarget() {
        synchronized (downstream) {
            return downstream.toByteArray();
        }
    }

    /** Both directions as ISO-8859-1 text, one char per byte, for searching. */
    String captureText() {
        return new String(fromClients(), StandardCharsets.ISO_8859_1) + "\n"
                + new String(fromTarget(), StandardCharsets.ISO_8859_1);
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                final Socket client = listener.accept();
                connections.incrementAndGet();
                final Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                synchronized (sockets) {
                    sockets.add(client);
                    sockets.add(server);
                }
                pump(client, server, upstream);
                pump(server, client, downstream);
            } catch (IOException e) {
                // closed, or the target refused: the client sees its connection drop
            }
        }
    }

    private static void pump(final Socket from, final Socket to, final ByteArrayOutputStream record) {
        final Thread t = new Thread(() -> {
            final byte[] buffer = new byte[16384];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    synchronized (record) {
                        record.write(buffer, 0, n);
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side closed
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "recording-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(final Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException e) {
            // closing anyway
        }
        synchronized (sockets) {
            sockets.forEach(RecordingTcpProxy::closeQuietly);
        }
    }
}
