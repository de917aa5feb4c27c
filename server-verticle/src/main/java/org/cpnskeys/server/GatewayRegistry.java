package org.cpnskeys.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.cpnskeys.broker.ClientSecrets;
import org.cpnskeys.broker.HashedSecrets;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.crypto.SecretFiles;

/**
 * The PN GWs allowed on the cloud broker: a file of {@code gatewayId:sha256hex(token)} lines, owner-only. The
 * token itself is shown once, when the gateway is registered, and never stored here. The file is re-read
 * when it changes, so {@code cpns server add-gateway} works while a server runs. Blocking (file I/O): the
 * broker calls {@link #verify} on its own threads, never on a Vert.x event loop.
 */
public final class GatewayRegistry implements ClientSecrets {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Path file;
    private ConsentKeys consentKeys = ConsentKeys.NONE;
    private volatile Map<String, byte[]> hashes = Map.of();
    private volatile FileTime loadedAt;

    private GatewayRegistry(final Path file) {
        this.file = file;
    }

    /** Opens (or starts) the registry in the given file. Blocking. */
    public static GatewayRegistry open(final Path file) throws IOException {
        final GatewayRegistry r = new GatewayRegistry(file);
        r.reloadIfChanged();
        r.consentKeys = ConsentKeys.open(consentKeysFile(file));
        return r;
    }

    /** Where the gateways' consent keys are kept: next to the registry, its name with {@code -consent-keys}. */
    public static Path consentKeysFile(final Path registry) {
        return registry.resolveSibling(registry.getFileName() + "-consent-keys");
    }

    /** The registered gateways' consent keys ([L] 3). */
    public ConsentKeys consentKeys() {
        return consentKeys;
    }

    /** Registers a gateway (or replaces its token) and returns the new token, to be given to the gateway once. */
    public synchronized String register(final GatewayId gateway) throws IOException {
        reloadIfChanged();
        final byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        final String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        final Map<String, byte[]> next = new LinkedHashMap<>(hashes);
        next.put(gateway.value(), HashedSecrets.sha256(token.getBytes(StandardCharsets.US_ASCII)));
        final StringBuilder sb = new StringBuilder("# CPNS gateways: id:sha256(token). Written by cpns; tokens are not stored.\n");
        next.forEach((id, h) -> sb.append(id).append(':').append(HexFormat.of().formatHex(h)).append('\n'));
        SecretFiles.writeAtomically(file, sb.toString().getBytes(StandardCharsets.UTF_8));
        hashes = Map.copyOf(next);
        loadedAt = Files.getLastModifiedTime(file);
        return token;
    }

    public List<String> gatewayIds() {
        return List.copyOf(hashes.keySet());
    }

    @Override
    public boolean knows(final String name) {
        try {
            reloadIfChanged();
        } catch (IOException e) {
            return false;
        }
        return hashes.containsKey(name);
    }

    @Override
    public boolean verify(final String name, final byte[] password) {
        try {
            reloadIfChanged();
        } catch (IOException e) {
            return false;
        }
        final byte[] expected = hashes.get(name);
        final byte[] actual = HashedSecrets.sha256(password);
        return MessageDigest.isEqual(expected == null ? new byte[actual.length] : expected, actual) && expected != null;
    }

    /**
     * The {@code gatewayId:value} lines of a file (blank lines and {@code #} comments skipped), each value parsed;
     * a line that does not parse fails naming the file, the line and {@code format}.
     */
    static Map<String, byte[]> byGateway(final Path file, final java.util.function.Function<String, byte[]> value,
            final String format) throws IOException {
        final Map<String, byte[]> next = new LinkedHashMap<>();
        int lineNo = 0;
        for (final String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            final int colon = line.indexOf(':');
            try {
                next.put(GatewayId.of(line.substring(0, Math.max(colon, 0))).value(), value.apply(line.substring(colon + 1)));
            } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
                throw new IOException(file + " line " + lineNo + " is not '" + format + "'");
            }
        }
        return Map.copyOf(next);
    }

    private synchronized void reloadIfChanged() throws IOException {
        if (!Files.exists(file)) {
            hashes = Map.of();
            return;
        }
        final FileTime modified = Files.getLastModifiedTime(file);
        if (modified.equals(loadedAt)) {
            return;
        }
        hashes = byGateway(file, v -> HexFormat.of().parseHex(v.trim()), "gatewayId:sha256hex");
        loadedAt = modified;
    }
}
