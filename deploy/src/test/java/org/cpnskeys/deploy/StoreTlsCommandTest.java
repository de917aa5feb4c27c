package org.cpnskeys.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.cpnskeys.server.store.PgTls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cpns server store-tls} (what the Compose file's init service and the Kubernetes instructions run): the
 * files it writes make a TLS server that a client verifying as {@code verify-full} does (CA file, host name)
 * accepts by every name given, and refuses by another; the key is owner-only; a second run keeps the files.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StoreTlsCommandTest {
    @TempDir
    Path dir;

    @Test
    void storeTls_files_serveTlsThatVerifyFullAcceptsByEachNameOnly() throws Exception {
        final Path out = dir.resolve("pg-tls");
        assertEquals(0, run("server", "store-tls", "--out", out.toString(), "--host", "localhost,127.0.0.1"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("server.key"))));
        assertEquals(PgTls.verifyFull(out.resolve("ca.pem")),
                PgTls.choose("192.0.2.1", Optional.empty(), Optional.of(out.resolve("ca.pem"))));
        handshake(out, "localhost");
        handshake(out, "127.0.0.1");
        assertThrows(SSLHandshakeException.class, () -> handshake(out, "127.0.0.2"), "a name not in the certificate");
    }

    @Test
    void storeTls_secondRun_keepsOrRefuses() throws Exception {
        final Path out = dir.resolve("pg-tls");
        assertEquals(0, run("server", "store-tls", "--out", out.toString(), "--host", "postgres"));
        final String ca = Files.readString(out.resolve("ca.pem"));
        assertEquals(0, run("server", "store-tls", "--out", out.toString(), "--host", "postgres", "--keep-existing"));
        assertEquals(ca, Files.readString(out.resolve("ca.pem")), "kept");
        assertNotEquals(0, run("server", "store-tls", "--out", out.toString(), "--host", "postgres"),
                "overwrote the files without --keep-existing");
    }

    /** A TLS server on the files; a client that trusts ca.pem only and checks {@code name} as HTTPS does. */
    private static void handshake(final Path out, final String name) throws Exception {
        final CertificateFactory cf = CertificateFactory.getInstance("X.509");
        final X509Certificate ca = (X509Certificate) cf.generateCertificate(Files.newInputStream(out.resolve("ca.pem")));
        final Certificate server = cf.generateCertificate(Files.newInputStream(out.resolve("server.pem")));
        final String pem = Files.readString(out.resolve("server.key"), StandardCharsets.US_ASCII)
                .replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        final PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(
                Base64.getDecoder().decode(pem)));
        final KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("server", key, "x".toCharArray(), new Certificate[] {server, ca});
        final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "x".toCharArray());
        final SSLContext serverContext = SSLContext.getInstance("TLS");
        serverContext.init(kmf.getKeyManagers(), null, null);
        final KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        final TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        final SSLContext clientContext = SSLContext.getInstance("TLS");
        clientContext.init(null, tmf.getTrustManagers(), null);
        try (SSLServerSocket listener = (SSLServerSocket) serverContext.getServerSocketFactory().createServerSocket(0, 1,
                InetAddress.getLoopbackAddress())) {
            final CompletableFuture<Void> accepted = CompletableFuture.runAsync(() -> {
                try (SSLSocket s = (SSLSocket) listener.accept()) {
                    s.startHandshake();
                    s.getOutputStream().write(1);
                } catch (IOException e) {
                    // the client refused: its side reports it
                }
            });
            try (Socket client = new Socket()) {
                client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort()), 10_000);
                client.setSoTimeout(10_000);
                // the name the client asks for, as the PostgreSQL client does with the host it connects to
                final SSLSocket named = (SSLSocket) clientContext.getSocketFactory().createSocket(client, name,
                        listener.getLocalPort(), true);
                final SSLParameters p = named.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                named.setSSLParameters(p);
                named.startHandshake();
                assertEquals(1, named.getInputStream().read());
            }
            accepted.get(10, TimeUnit.SECONDS);
        }
    }

    private static int run(final String... args) {
        final picocli.CommandLine cli = Cpns.commandLine();
        cli.setOut(new PrintWriter(new StringWriter()));
        cli.setErr(new PrintWriter(new StringWriter()));
        return cli.execute(args);
    }
}
