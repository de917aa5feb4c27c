package org.cpnskeys.server.store;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;

/**
 * How the connections to the PostgreSQL store are protected, named as libpq names its {@code sslmode}s.
 * {@code verify-full} (TLS 1.3 or 1.2; the server's certificate chains to the CA file and names the host the
 * server connects to) is what a store across a network needs; {@code verify-ca} skips the name check;
 * {@code disable} is plain text, for a store on this machine. There is deliberately no {@code require},
 * {@code prefer} or {@code allow}: encryption without verification gives the password to any man in the middle.
 *
 * @param mode   the protection
 * @param caFile PEM file of the CA(s) the server's certificate must chain to; required by the verifying modes,
 *               refused with {@code disable}
 */
public record PgTls(Mode mode, Optional<Path> caFile) {
    /** Plain text: only for a store on a loopback address. */
    public static final PgTls PLAIN = new PgTls(Mode.DISABLE, Optional.empty());

    /** The modes, by their libpq names. */
    public enum Mode {
        DISABLE("disable", SslMode.DISABLE),
        VERIFY_CA("verify-ca", SslMode.VERIFY_CA),
        VERIFY_FULL("verify-full", SslMode.VERIFY_FULL);

        private final String text;
        private final SslMode vertx;

        Mode(final String text, final SslMode vertx) {
            this.text = text;
            this.vertx = vertx;
        }

        /** Parses a libpq {@code sslmode} name; the unverified ones are refused with the reason. */
        public static Mode of(final String text) {
            final String t = Objects.requireNonNull(text, "sslmode").trim().toLowerCase(Locale.ROOT);
            for (final Mode m : values()) {
                if (m.text.equals(t)) {
                    return m;
                }
            }
            if (List.of("require", "prefer", "allow").contains(t)) {
                throw new IllegalArgumentException("PostgreSQL sslmode " + t + " is not supported: it encrypts without"
                        + " checking whom it talks to; use verify-full with the server's CA file (--pg-ca-file)");
            }
            throw new IllegalArgumentException("PostgreSQL sslmode must be disable, verify-ca or verify-full, not "
                    + text);
        }

        @Override
        public String toString() {
            return text;
        }
    }

    public PgTls {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(caFile, "caFile");
        if (mode == Mode.DISABLE && caFile.isPresent()) {
            throw new IllegalArgumentException("a PostgreSQL CA file was given but sslmode is disable: drop the CA"
                    + " file, or use verify-full");
        }
        if (mode != Mode.DISABLE && caFile.isEmpty()) {
            throw new IllegalArgumentException("PostgreSQL sslmode " + mode + " needs the CA that issued the server's"
                    + " certificate: give its PEM file with --pg-ca-file (env CPNS_PG_CA_FILE)");
        }
    }

    /** {@code verify-full} against the CA(s) in {@code caFile}. */
    public static PgTls verifyFull(final Path caFile) {
        return new PgTls(Mode.VERIFY_FULL, Optional.of(caFile));
    }

    /**
     * The protection for a store on {@code host}, as a server's options give it, checked before anything
     * connects. A named mode is used as given. With no mode: {@code verify-full} when a CA file is given;
     * plain text when every address {@code host} resolves to is a loopback address; otherwise refused, since
     * a plain connection across a network shows the store's password and every sealed EUKey to the path. A CA
     * file must exist and hold at least one X.509 certificate. Blocking (name resolution, file read): call it at
     * start-up, never on an event loop.
     */
    public static PgTls choose(final String host, final Optional<Mode> mode, final Optional<Path> caFile) {
        caFile.ifPresent(PgTls::requireCertificates);
        if (mode.isPresent()) {
            return new PgTls(mode.get(), caFile);
        }
        if (caFile.isPresent()) {
            return verifyFull(caFile.get());
        }
        if (isLoopback(host)) {
            return PLAIN;
        }
        throw new IllegalArgumentException("PostgreSQL at " + host + " is not on a loopback address, and the"
                + " connection would be plain text (its password and every sealed EUKey readable on the way): give"
                + " the CA of its certificate with --pg-ca-file (env CPNS_PG_CA_FILE; verify-full), or, on a"
                + " network you trust, --pg-ssl-mode disable");
    }

    /** Whether {@code host} resolves, and only to loopback addresses. Blocking. */
    public static boolean isLoopback(final String host) {
        try {
            final InetAddress[] all = InetAddress.getAllByName(host);
            return all.length > 0 && Arrays.stream(all).allMatch(InetAddress::isLoopbackAddress);
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** Sets the mode and, for the verifying modes, the trusted CA, TLS 1.3/1.2 and (verify-full) the name check. */
    void applyTo(final PgConnectOptions options) {
        options.setSslMode(mode.vertx);
        if (mode == Mode.DISABLE) {
            return;
        }
        options.setSslOptions(new ClientSSLOptions()
                .setTrustOptions(new PemTrustOptions().addCertPath(caFile.orElseThrow().toString()))
                .setEnabledSecureTransportProtocols(new LinkedHashSet<>(List.of("TLSv1.3", "TLSv1.2")))
                .setHostnameVerificationAlgorithm(mode == Mode.VERIFY_FULL ? "HTTPS" : ""));
    }

    private static void requireCertificates(final Path file) {
        final byte[] pem;
        try {
            pem = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("PostgreSQL CA file " + file + " cannot be read: " + e.getMessage());
        }
        try {
            if (CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem)).isEmpty()) {
                throw new IllegalArgumentException("PostgreSQL CA file " + file + " holds no certificate (PEM expected)");
            }
        } catch (CertificateException e) {
            throw new IllegalArgumentException("PostgreSQL CA file " + file + " is not a PEM certificate: "
                    + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return mode + caFile.map(f -> " (CA " + f + ")").orElse("");
    }
}
