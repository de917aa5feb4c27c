package org.cpnskeys.hivemq;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Properties;

/**
 * The extension's settings, from {@value #FILE} in its folder (see {@code deploy/hivemq/README.md}).
 *
 * @param gatewayUser the gateway's user name on the loopback listener (its client id starts with it)
 * @param gatewayPasswordSha256 SHA-256 of the gateway's password (32 bytes; the password is never stored)
 * @param caFile the PAN CA certificate (PEM), which signs the CRL
 * @param crlFile the PAN CA's CRL (PEM or DER), rewritten by {@code cpns gateway revoke}
 */
record PanPolicySettings(String gatewayUser, byte[] gatewayPasswordSha256, Path caFile, Path crlFile) {
    static final String FILE = "cpns-pan-policy.properties";
    static final String DEFAULT_GATEWAY_USER = "cpns-gateway";

    PanPolicySettings {
        gatewayPasswordSha256 = gatewayPasswordSha256.clone();
    }

    /** Reads {@value #FILE} in {@code folder}; relative paths in it are relative to {@code folder}. Blocking. */
    static PanPolicySettings read(final Path folder) throws IOException {
        final Path file = folder.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new IOException("missing " + file);
        }
        final Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        }
        final String user = p.getProperty("gateway-user", DEFAULT_GATEWAY_USER).strip();
        if (user.isEmpty()) {
            throw new IOException(file + ": gateway-user is empty");
        }
        final String hash = p.getProperty("gateway-password-sha256", "").strip().toLowerCase(java.util.Locale.ROOT);
        if (!hash.matches("[0-9a-f]{64}")) {
            throw new IOException(file + ": gateway-password-sha256 must be the SHA-256 of the gateway's password,"
                    + " 64 hex digits (printf %s \"$PASSWORD\" | sha256sum)");
        }
        return new PanPolicySettings(user, HexFormat.of().parseHex(hash), existing(folder, file, p, "ca-file"),
                existing(folder, file, p, "crl-file"));
    }

    private static Path existing(final Path folder, final Path file, final Properties p, final String key)
            throws IOException {
        final String value = p.getProperty(key, "").strip();
        if (value.isEmpty()) {
            throw new IOException(file + ": " + key + " is missing");
        }
        final Path path = folder.resolve(value);
        if (!Files.isReadable(path)) {
            throw new IOException(file + ": " + key + " " + path + " is not a readable file");
        }
        return path;
    }

    @Override
    public byte[] gatewayPasswordSha256() {
        return gatewayPasswordSha256.clone();
    }

    @Override
    public String toString() {
        return "PanPolicySettings[gatewayUser=" + gatewayUser + ", caFile=" + caFile + ", crlFile=" + crlFile + "]";
    }
}
