package org.cpnskeys.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.SecretFiles;
import org.cpnskeys.server.seal.KeySeal;
import org.cpnskeys.server.seal.MasterKeySeal;
import org.cpnskeys.server.seal.Pkcs11Seal;
import org.cpnskeys.server.seal.Pkcs11SealConfig;
import org.cpnskeys.server.seal.SealSet;

/**
 * The seals of a server and what they hold (the master key file's bytes, a PKCS#11 token's login), released by
 * {@link #close()}. Which seal is current: the token's when the configuration names one ({@link
 * ServerConfig#pkcs11Seal()}), else seal 2 of the master key file; the other kinds this server can open are
 * retired, so that the re-sealing run every server does at start (and {@code cpns server reseal}) moves keys left
 * under them. Built on a worker thread (files, token).
 */
public final class ServerSeals implements AutoCloseable {
    /** Where a migration moves the stored EUKeys. */
    public enum Target {
        /** Seal 2, under the master key file. */
        FILE,
        /** Seal 3, in the PKCS#11 token. */
        PKCS11
    }

    private final SealSet seals;
    private final Optional<SecretBytes> masterKey;

    private ServerSeals(final SealSet seals, final Optional<SecretBytes> masterKey) {
        this.seals = seals;
        this.masterKey = masterKey;
    }

    /**
     * A server's seals: with a token configured, the token's key (which must exist) is current and the master key
     * file, if there is one, is retired (never created); without, the master key file (created in the data folder
     * on first start; in the shared secrets folder it must exist) is current. Blocking.
     */
    public static ServerSeals forServer(final ServerConfig config) throws IOException {
        if (config.pkcs11Seal().isPresent()) {
            final Pkcs11Seal token = Pkcs11Seal.open(config.pkcs11Seal().get(), false);
            return withCurrent(Target.PKCS11, Optional.of(token), existingMasterKey(config));
        }
        return withCurrent(Target.FILE, Optional.empty(), Optional.of(masterKeyFile(config)));
    }

    /**
     * The seals of a migration to {@code target} ({@code cpns server migrate-master-key}): its seal is current, the
     * other kind retired. To the token: its key is made if the token has none under the label, and the master key
     * file is opened if it exists. To the file: the token's key must exist, and the master key file is made as a
     * server would make it (only once the token answered). Blocking.
     */
    public static ServerSeals forMigration(final ServerConfig config, final Target target,
            final Pkcs11SealConfig token) throws IOException {
        final Pkcs11Seal inToken = Pkcs11Seal.open(token, target == Target.PKCS11);
        if (target == Target.PKCS11) {
            return withCurrent(Target.PKCS11, Optional.of(inToken), existingMasterKey(config));
        }
        return withCurrent(Target.FILE, Optional.of(inToken), Optional.of(masterKeyFile(config)));
    }

    private static ServerSeals withCurrent(final Target target, final Optional<Pkcs11Seal> tokenSeal,
            final Optional<SecretBytes> masterKey) {
        final List<KeySeal> retired = new ArrayList<>();
        masterKey.ifPresent(k -> {
            if (target == Target.PKCS11) {
                retired.add(MasterKeySeal.v2(k));
            }
            retired.add(MasterKeySeal.v1(k));
        });
        final KeySeal current;
        if (target == Target.PKCS11) {
            current = tokenSeal.orElseThrow();
        } else {
            current = MasterKeySeal.v2(masterKey.orElseThrow());
            tokenSeal.ifPresent(retired::add);
        }
        return new ServerSeals(new SealSet(current, retired), masterKey);
    }

    /** The master key file if it exists (never made: a new one would open nothing). */
    private static Optional<SecretBytes> existingMasterKey(final ServerConfig config) throws IOException {
        final Path file = config.secretFile(ServerConfig.MASTER_KEY_FILE);
        return Files.isRegularFile(file) ? Optional.of(SecretFiles.loadOrCreate(file, 32)) : Optional.empty();
    }

    /**
     * The master key file: from the shared secrets folder, where it must exist (a cluster member that generated its
     * own would seal keys the others cannot open), or made in the data folder on first use.
     */
    private static SecretBytes masterKeyFile(final ServerConfig config) throws IOException {
        final Path file = config.secretFile(ServerConfig.MASTER_KEY_FILE);
        if (config.sharedSecretsDir().isPresent() && !Files.isRegularFile(file)) {
            throw new IllegalStateException("shared secret " + file + " does not exist (create the folder once with"
                    + " `cpns server cluster-secrets --out <dir>` and give every member a copy)");
        }
        return SecretFiles.loadOrCreate(file, 32);
    }

    /** The seals: the current one and the retired ones. */
    public SealSet seals() {
        return seals;
    }

    /** Zeroes the master key (the token's login ends with the process: see {@link Pkcs11Seal}). */
    @Override
    public void close() {
        masterKey.ifPresent(SecretBytes::destroy);
        seals.byId(Pkcs11Seal.ID).ifPresent(s -> ((Pkcs11Seal) s).close());
    }
}
