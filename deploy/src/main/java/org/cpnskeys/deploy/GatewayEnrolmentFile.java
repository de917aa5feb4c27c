package org.cpnskeys.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.crypto.SecretFiles;
import org.cpnskeys.protocol.tls.Pem;

/**
 * The one file {@code cpns server add-gateway --out} writes and {@code cpns gateway --cloud-config} reads:
 * everything a PN GW needs to reach its CPNS Server safely. JSON, owner-only (0600), format
 * {@value #FORMAT}:
 * <pre>
 * {"format": "cpns-gateway/1", "gatewayId": "home-gw", "token": "...", "realm": "...",
 *  "cloudCa": "-----BEGIN CERTIFICATE-----...", "cloudHost": "cloud.example.com", "cloudPort": 1883,
 *  "clientCertificate": "-----BEGIN CERTIFICATE-----...", "clientKey": "-----BEGIN PRIVATE KEY-----..."}
 * </pre>
 * {@code token} is absent when the gateway logs in by client certificate alone; {@code cloudHost}/{@code cloudPort}
 * when the server did not know them; {@code clientCertificate}/{@code clientKey} unless one was issued.
 * {@link #toString()} never shows the token or the key.
 *
 * @param clientKeyPem the client certificate's private key, PKCS#8 PEM (secret)
 */
public record GatewayEnrolmentFile(GatewayId gatewayId, Optional<String> token, String realm, String cloudCaPem,
        Optional<String> cloudHost, Optional<Integer> cloudPort, Optional<String> clientCertificatePem,
        Optional<String> clientKeyPem) {
    public static final String FORMAT = "cpns-gateway/1";

    public GatewayEnrolmentFile {
        if (token.isEmpty() && clientCertificatePem.isEmpty()) {
            throw new IllegalArgumentException("a gateway file needs a token or a client certificate");
        }
        if (clientCertificatePem.isPresent() != clientKeyPem.isPresent()) {
            throw new IllegalArgumentException("a client certificate needs its key");
        }
        if (realm == null || realm.isBlank() || cloudCaPem == null || cloudCaPem.isBlank()) {
            throw new IllegalArgumentException("a gateway file needs the realm and the cloud CA");
        }
    }

    /** Writes the file, owner-only and atomically. Blocking. */
    public void write(final Path file) throws IOException {
        final JsonObject json = new JsonObject().put("format", FORMAT).put("gatewayId", gatewayId.value())
                .put("realm", realm).put("cloudCa", cloudCaPem);
        token.ifPresent(t -> json.put("token", t));
        cloudHost.ifPresent(h -> json.put("cloudHost", h));
        cloudPort.ifPresent(p -> json.put("cloudPort", p));
        clientCertificatePem.ifPresent(c -> json.put("clientCertificate", c));
        clientKeyPem.ifPresent(k -> json.put("clientKey", k));
        final byte[] bytes = (json.encodePrettily() + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            SecretFiles.writeAtomically(file, bytes);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    /**
     * Reads a file written by {@link #write}. Blocking.
     *
     * @throws IOException when it is unreadable, not this format, or its CA is not a PEM certificate (the message
     *         never quotes the content)
     */
    public static GatewayEnrolmentFile read(final Path file) throws IOException {
        final JsonObject json;
        try {
            json = new JsonObject(Files.readString(file, StandardCharsets.UTF_8));
        } catch (DecodeException e) {
            throw new IOException(file + " is not a gateway file from 'cpns server add-gateway --out' (not JSON)");
        }
        if (!FORMAT.equals(json.getValue("format"))) {
            throw new IOException(file + " is not a gateway file of format " + FORMAT + " (make a new one with"
                    + " 'cpns server add-gateway --out')");
        }
        try {
            final GatewayEnrolmentFile read = new GatewayEnrolmentFile(GatewayId.of(json.getString("gatewayId")),
                    Optional.ofNullable(json.getString("token")), json.getString("realm"), json.getString("cloudCa"),
                    Optional.ofNullable(json.getString("cloudHost")), Optional.ofNullable(json.getInteger("cloudPort")),
                    Optional.ofNullable(json.getString("clientCertificate")),
                    Optional.ofNullable(json.getString("clientKey")));
            Pem.parseCertificates(read.cloudCaPem().getBytes(StandardCharsets.US_ASCII), "the cloud CA of " + file);
            return read;
        } catch (ClassCastException | IllegalArgumentException | NullPointerException e) {
            throw new IOException(file + " is not a valid gateway file: " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "GatewayEnrolmentFile[gatewayId=" + gatewayId + ", realm=" + realm + ", cloudHost=" + cloudHost
                + ", cloudPort=" + cloudPort + ", token=" + (token.isPresent() ? "redacted" : "none")
                + ", clientCertificate=" + clientCertificatePem.isPresent() + "]";
    }
}
