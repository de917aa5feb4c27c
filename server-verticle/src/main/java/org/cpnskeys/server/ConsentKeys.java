package org.cpnskeys.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import io.vertx.core.Vertx;

import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.crypto.ConsentSignature;
import org.cpnskeys.protocol.crypto.SecretFiles;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PN GWs' Ed25519 consent keys (public halves), recorded by {@code cpns server add-gateway --consent-key}: a
 * file of {@code gatewayId:base64(32-byte public key)} lines next to the gateway registry. Public, but written
 * owner-only like the registry. Look-ups read memory only; {@link #watch} re-reads the file on a worker every
 * two seconds, so a key added while the server runs is used from then on.
 */
public final class ConsentKeys {
    private static final Logger LOG = LoggerFactory.getLogger(ConsentKeys.class);
    private static final long WATCH_MILLIS = 2000;
    /** No gateway has a key: every gateway is served as before consent receipts. */
    public static final ConsentKeys NONE = new ConsentKeys(null);

    private final Path file;
    private volatile Map<String, byte[]> keys = Map.of();
    private FileTime loadedAt;
    private Vertx watcher;
    private long timer = -1;

    private ConsentKeys(final Path file) {
        this.file = file;
    }

    /** The keys in {@code file} (none yet if it does not exist). Blocking. */
    public static ConsentKeys open(final Path file) throws IOException {
        final ConsentKeys k = new ConsentKeys(file);
        k.reloadIfChanged();
        return k;
    }

    /** Re-reads the file every {@code WATCH_MILLIS} on a worker from now on, until {@link #stopWatching}. */
    public synchronized ConsentKeys watch(final Vertx vertx) {
        if (file != null && timer < 0) {
            watcher = vertx;
            timer = vertx.setPeriodic(WATCH_MILLIS, t -> vertx.executeBlocking(() -> {
                reloadIfChanged();
                return null;
            }, false).onFailure(e -> LOG.warn("consent keys not re-read: {}", e.getMessage())));
        }
        return this;
    }

    /** Stops {@link #watch}. */
    public synchronized void stopWatching() {
        if (timer >= 0) {
            watcher.cancelTimer(timer);
            timer = -1;
        }
    }

    /** The gateway's consent key, if one is registered. */
    public Optional<byte[]> of(final GatewayId gateway) {
        return Optional.ofNullable(keys.get(gateway.value())).map(byte[]::clone);
    }

    /** Records (or replaces) the gateway's consent key. Blocking. */
    public synchronized void register(final GatewayId gateway, final byte[] publicKey) throws IOException {
        reloadIfChanged();
        final Map<String, byte[]> next = new LinkedHashMap<>(keys);
        next.put(gateway.value(), ConsentSignature.parsePublicKey(ConsentSignature.publicKeyText(publicKey),
                "the consent key of gateway " + gateway));
        final StringBuilder sb = new StringBuilder("# CPNS gateways' consent keys: id:base64(Ed25519 public key)."
                + " Written by cpns server add-gateway --consent-key.\n");
        next.forEach((id, key) -> sb.append(id).append(':').append(ConsentSignature.publicKeyText(key)).append('\n'));
        SecretFiles.writeAtomically(file, sb.toString().getBytes(StandardCharsets.UTF_8));
        keys = Map.copyOf(next);
        loadedAt = Files.getLastModifiedTime(file);
    }

    /** Reads the file again if it changed since it was read. Blocking. */
    public synchronized void reloadIfChanged() throws IOException {
        if (file == null || !Files.exists(file)) {
            keys = Map.of();
            return;
        }
        final FileTime modified = Files.getLastModifiedTime(file);
        if (modified.equals(loadedAt)) {
            return;
        }
        keys = GatewayRegistry.byGateway(file, v -> ConsentSignature.parsePublicKey(v, "the key"),
                "gatewayId:base64(Ed25519 public key)");
        loadedAt = modified;
    }
}
