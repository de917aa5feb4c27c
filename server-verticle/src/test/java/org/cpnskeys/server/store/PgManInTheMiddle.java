package org.cpnskeys.server.store;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * An attacker on the path to PostgreSQL: a fake server on 127.0.0.1 that answers the client's TLS request
 * ({@code SSLRequest}) with a certificate of its own CA, for {@code localhost} and {@code 127.0.0.1}, then asks
 * for the password in clear text ({@code AuthenticationCleartextPassword}) and records what it gets. A client
 * that does not ask for TLS is served the same way without it. Test-side threads with blocking sockets (never
 * an event loop).
 */
final class PgManInTheMiddle implements AutoCloseable {
    private static final int SSL_REQUEST_CODE = 80877103;
    private static final int PROTOCOL_3 = 196608;

    private final ServerSocket server;
    private final SSLContext tls;
    private final X509Certificate attackerCa;
    private final List<String> handshakes = new CopyOnWriteArrayList<>();
    private final List<String> capturedPasswords = new CopyOnWriteArrayList<>();
    private final List<String> capturedUsers = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    private PgManInTheMiddle(final ServerSocket server, final SSLContext tls, final X509Certificate attackerCa) {
        this.server = server;
        this.tls = tls;
        this.attackerCa = attackerCa;
        this.acceptor = new Thread(this::acceptLoop, "pg-mitm");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Starts the attacker with a new CA of its own and a certificate for the names the client expects. */
    static PgManInTheMiddle start() throws Exception {
        final KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        final KeyPair caKeys = g.generateKeyPair();
        final KeyPair leafKeys = g.generateKeyPair();
        final X500Name caName = new X500Name("CN=attacker CA");
        final Instant now = Instant.now();
        final X509Certificate ca = sign(new JcaX509v3CertificateBuilder(caName, BigInteger.ONE,
                Date.from(now.minus(1, ChronoUnit.HOURS)), Date.from(now.plus(1, ChronoUnit.DAYS)), caName,
                caKeys.getPublic()).addExtension(Extension.basicConstraints, true, new BasicConstraints(true)), caKeys);
        final X509Certificate leaf = sign(new JcaX509v3CertificateBuilder(caName, BigInteger.TWO,
                Date.from(now.minus(1, ChronoUnit.HOURS)), Date.from(now.plus(1, ChronoUnit.DAYS)),
                new X500Name("CN=localhost"), leafKeys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.dNSName, "localhost"),
                    new GeneralName(GeneralName.iPAddress, "127.0.0.1")})), caKeys);
        final KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        final char[] pw = "mitm".toCharArray();
        ks.setKeyEntry("leaf", leafKeys.getPrivate(), pw, new X509Certificate[] {leaf, ca});
        final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        final ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        return new PgManInTheMiddle(s, context, ca);
    }

    private static X509Certificate sign(final X509v3CertificateBuilder builder, final KeyPair issuer)
            throws Exception {
        return new JcaX509CertificateConverter().getCertificate(builder.build(
                new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate())));
    }

    int port() {
        return server.getLocalPort();
    }

    /** Writes the attacker's CA as PEM (a client misconfigured to trust it is the "another CA" case). */
    Path writeAttackerCa(final Path file) throws Exception {
        Files.writeString(file, "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(attackerCa.getEncoded())
                + "\n-----END CERTIFICATE-----\n", StandardCharsets.US_ASCII);
        return file;
    }

    /** How each connection's TLS went: "tls-ok", "tls-failed: ..." or "plain". */
    List<String> handshakes() {
        return List.copyOf(handshakes);
    }

    /** The passwords clients gave away. */
    List<String> capturedPasswords() {
        return List.copyOf(capturedPasswords);
    }

    /** The user names clients gave away. */
    List<String> capturedUsers() {
        return List.copyOf(capturedUsers);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                final Socket s = server.accept();
                final Thread t = new Thread(() -> serve(s), "pg-mitm-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(final Socket plain) {
        try (plain) {
            plain.setSoTimeout(20_000);
            DataInputStream in = new DataInputStream(plain.getInputStream());
            OutputStream out = plain.getOutputStream();
            int length = in.readInt();
            int code = in.readInt();
            Socket channel = plain;
            if (length == 8 && code == SSL_REQUEST_CODE) {
                out.write('S');
                out.flush();
                final SSLSocket secured = (SSLSocket) tls.getSocketFactory().createSocket(plain,
                        plain.getInetAddress().getHostAddress(), plain.getPort(), false);
                secured.setUseClientMode(false);
                try {
                    secured.startHandshake();
                    // TLS 1.3: a client that rejects the certificate says so after the server's flight; the first
                    // read below fails then, so record success only once the client sent application data
                    in = new DataInputStream(secured.getInputStream());
                    out = secured.getOutputStream();
                    length = in.readInt();
                    code = in.readInt();
                    handshakes.add("tls-ok");
                } catch (IOException e) {
                    handshakes.add("tls-failed: " + e.getMessage());
                    return;
                }
                channel = secured;
            } else {
                handshakes.add("plain");
            }
            if (code != PROTOCOL_3) {
                return;
            }
            final byte[] params = new byte[length - 8];
            in.readFully(params);
            final String[] kv = new String(params, StandardCharsets.UTF_8).split("\0");
            for (int i = 0; i + 1 < kv.length; i += 2) {
                if ("user".equals(kv[i])) {
                    capturedUsers.add(kv[i + 1]);
                }
            }
            askForCleartextPassword(out);
            if (in.readByte() == 'p') {
                final byte[] pw = new byte[in.readInt() - 4];
                in.readFully(pw);
                capturedPasswords.add(new String(pw, 0, Math.max(0, pw.length - 1), StandardCharsets.UTF_8));
            }
            channel.close();
        } catch (IOException e) {
            // the client went away: nothing more to capture
        }
    }

    private static void askForCleartextPassword(final OutputStream out) throws IOException {
        final DataOutputStream d = new DataOutputStream(out);
        d.writeByte('R');
        d.writeInt(8);
        d.writeInt(3);
        d.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }

    /** A transparent TCP relay from {@code bindAddress} to {@code target}: the path changes, the bytes do not. */
    static Relay relay(final String bindAddress, final InetSocketAddress target) throws IOException {
        final ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress(InetAddress.getByName(bindAddress), 0));
        final Thread t = new Thread(() -> {
            while (!s.isClosed()) {
                try {
                    final Socket client = s.accept();
                    final Socket upstream = new Socket(target.getAddress(), target.getPort());
                    pump(client.getInputStream(), upstream.getOutputStream(), client, upstream);
                    pump(upstream.getInputStream(), client.getOutputStream(), client, upstream);
                } catch (IOException e) {
                    return;
                }
            }
        }, "pg-relay");
        t.setDaemon(true);
        t.start();
        return new Relay(s);
    }

    /** A running relay. */
    record Relay(ServerSocket socket) implements AutoCloseable {
        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static void pump(final InputStream from, final OutputStream to, final Socket a, final Socket b) {
        final Thread t = new Thread(() -> {
            try (a; b) {
                from.transferTo(to);
            } catch (IOException e) {
                // one side closed: both close
            }
        }, "pg-relay-pump");
        t.setDaemon(true);
        t.start();
    }
}
