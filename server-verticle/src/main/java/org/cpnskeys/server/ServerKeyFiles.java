package org.cpnskeys.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.SecretFiles;

/**
 * The server's own 32-byte secrets, loaded or generated at first start (owner-only files): the keys a cluster
 * shares and the embedded cloud broker's password. Blocking.
 */
final class ServerKeyFiles {
    private ServerKeyFiles() {
    }

    /**
     * A 32-byte key: from the shared secrets folder, where it must exist (a cluster member that generated its own
     * would seal keys the others cannot open and issue nonces they refuse), or generated in the data folder.
     */
    static SecretBytes loadKey(final ServerConfig config, final String name) throws java.io.IOException {
        if (config.sharedSecretsDir().isPresent()) {
            final Path file = config.secretFile(name);
            if (!Files.isRegularFile(file)) {
                throw new IllegalStateException("shared secret " + file + " does not exist (create the folder once with"
                        + " `cpns server cluster-secrets --out <dir>` and give every member a copy)");
            }
            return SecretFiles.loadOrCreate(file, 32);
        }
        return SecretFiles.loadOrCreate(config.dataDir().resolve(name), 32);
    }

    /** The server's password on its embedded cloud broker (this member's own, in the data folder). */
    static String embeddedBrokerPassword(final ServerConfig config) throws java.io.IOException {
        final byte[] raw = SecretFiles.loadOrCreate(config.dataDir().resolve("cloud-server.secret"), 32).reveal();
        final String password = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        java.util.Arrays.fill(raw, (byte) 0);
        return password;
    }
}
