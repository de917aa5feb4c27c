package org.cpnskeys.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import org.cpnskeys.broker.CloudTlsOptions;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;
import org.cpnskeys.server.seal.Pkcs11Seal;
import org.cpnskeys.server.seal.Pkcs11SealConfig;
import org.cpnskeys.server.store.PgStoreConfig;

/**
 * Validated configuration of a CPNS Server.
 *
 * @param dataDir folder for the key store, the master key and the other generated secrets (owner-only)
 * @param htdigestFile the users, in Apache htdigest format (one realm); re-read when it changes
 * @param realm the digest realm; must equal the realm of the htdigest entries. A deployment's realm is unique:
 *        {@link org.cpnskeys.server.auth.DeploymentRealm#resolve} gives the one to use (the users' realm, else the
 *        one kept in the data folder, else a new one), which is what {@code cpns server} and {@code cpns user add}
 *        use when no realm is named
 * @param embeddedBroker when present, the server runs the cloud broker itself on this address and port
 *        (0 = any free port), with TLS unless told otherwise; when empty, {@code externalBroker} is used
 * @param externalBroker the cloud broker to use when none is embedded
 * @param externalBrokerSecret the server's password on the external broker
 * @param nonceLifetime how long a digest nonce stays valid (a gateway reuses it with increasing nc)
 * @param instances how many request-handling verticles to deploy (each has its own broker connection)
 * @param maxPayloadBytes largest accepted message
 * @param htdigestCheckInterval how often the htdigest file is checked for changes
 * @param postgres when present, the EUKeys are stored in this PostgreSQL database (shared by a cluster);
 *        when empty, in the embedded SQLite file {@code dataDir/eukeys.db}
 * @param sharedSecretsDir when present, the master key ({@value #MASTER_KEY_FILE}) and the nonce HMAC key
 *        ({@value #NONCE_KEY_FILE}) are read from this folder, where they must already exist (every member of a
 *        cluster gets the same copy); when empty, they are generated in {@code dataDir} on first start
 * @param pkcs11Seal when present, stored EUKeys are sealed in this PKCS#11 token ({@link Pkcs11Seal}, seal 3) and
 *        the master key file is used only to open keys still sealed under it, if it exists (the server re-seals
 *        them at start); when empty, they are sealed under the master key file (the default)
 */
public record ServerConfig(Path dataDir, Path htdigestFile, String realm, Optional<BrokerAddress> embeddedBroker,
        Optional<MqttEndpoint> externalBroker, Optional<String> externalBrokerSecret, Duration nonceLifetime,
        int instances, int maxPayloadBytes, Duration htdigestCheckInterval, Optional<PgStoreConfig> postgres,
        Optional<Path> sharedSecretsDir, Optional<Pkcs11SealConfig> pkcs11Seal) {
    /**
     * The realm of {@link #defaults}: an in-process system with a random password (the demo, the tests). A
     * deployment's realm comes from {@link org.cpnskeys.server.auth.DeploymentRealm} instead.
     */
    public static final String DEFAULT_REALM = "cpns";
    public static final Duration DEFAULT_NONCE_LIFETIME = Duration.ofMinutes(5);
    public static final int DEFAULT_CLOUD_PORT = 1883;
    /** The master key's file name, in the data folder or the shared secrets folder. */
    public static final String MASTER_KEY_FILE = "master.key";
    /** The nonce HMAC key's file name, in the data folder or the shared secrets folder. */
    public static final String NONCE_KEY_FILE = "nonce.key";

    /**
     * Where the embedded cloud broker listens, and its TLS (by default a cloud CA and broker certificate generated
     * in the data folder; plain only with {@link CloudTlsOptions#insecurePlaintext()}).
     */
    public record BrokerAddress(String bindAddress, int port, CloudTlsOptions tls) {
        public BrokerAddress {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0-65535");
            }
            if (tls == null) {
                throw new IllegalArgumentException("cloud broker TLS options are required");
            }
        }

        /** TLS with the generated cloud CA. */
        public BrokerAddress(final String bindAddress, final int port) {
            this(bindAddress, port, CloudTlsOptions.generated(java.util.List.of()));
        }
    }

    public ServerConfig {
        if (dataDir == null || htdigestFile == null) {
            throw new IllegalArgumentException("data folder and htdigest file are required");
        }
        if (realm == null || realm.isBlank() || realm.contains(":") || realm.contains("\"")) {
            throw new IllegalArgumentException("realm must be non-empty and contain no ':' or '\"'");
        }
        if (embeddedBroker.isEmpty() && externalBroker.isEmpty()) {
            throw new IllegalArgumentException("either an embedded or an external cloud broker is required");
        }
        if (nonceLifetime.isNegative() || nonceLifetime.isZero()) {
            throw new IllegalArgumentException("nonce lifetime must be positive");
        }
        if (instances < 1 || instances > 64) {
            throw new IllegalArgumentException("instances must be 1-64");
        }
        if (maxPayloadBytes < 256) {
            throw new IllegalArgumentException("maxPayloadBytes must be at least 256");
        }
        if (postgres == null || sharedSecretsDir == null || pkcs11Seal == null) {
            throw new IllegalArgumentException("postgres, sharedSecretsDir and pkcs11Seal must be given (Optional.empty()"
                    + " for none)");
        }
    }

    /** A configuration whose stored EUKeys are sealed under the master key file (no PKCS#11 token). */
    public ServerConfig(final Path dataDir, final Path htdigestFile, final String realm,
            final Optional<BrokerAddress> embeddedBroker, final Optional<MqttEndpoint> externalBroker,
            final Optional<String> externalBrokerSecret, final Duration nonceLifetime, final int instances,
            final int maxPayloadBytes, final Duration htdigestCheckInterval, final Optional<PgStoreConfig> postgres,
            final Optional<Path> sharedSecretsDir) {
        this(dataDir, htdigestFile, realm, embeddedBroker, externalBroker, externalBrokerSecret, nonceLifetime,
                instances, maxPayloadBytes, htdigestCheckInterval, postgres, sharedSecretsDir, Optional.empty());
    }

    /** Seals stored EUKeys in the PKCS#11 token {@code token} (see {@link #pkcs11Seal()}). */
    public ServerConfig withPkcs11Seal(final Pkcs11SealConfig token) {
        return new ServerConfig(dataDir, htdigestFile, realm, embeddedBroker, externalBroker, externalBrokerSecret,
                nonceLifetime, instances, maxPayloadBytes, htdigestCheckInterval, postgres, sharedSecretsDir,
                Optional.of(token));
    }

    /** Defaults for one machine: embedded cloud broker on loopback, data in {@code dataDir}. */
    public static ServerConfig defaults(final Path dataDir, final int cloudPort) {
        return new ServerConfig(dataDir, dataDir.resolve("users.htdigest"), DEFAULT_REALM,
                Optional.of(new BrokerAddress("127.0.0.1", cloudPort)), Optional.empty(), Optional.empty(),
                DEFAULT_NONCE_LIFETIME, 1, MessageCodec.DEFAULT_MAX_PAYLOAD_BYTES, Duration.ofSeconds(2), Optional.empty(),
                Optional.empty());
    }

    /** Where the secret {@code name} lives: in the shared secrets folder when there is one, else the data folder. */
    public Path secretFile(final String name) {
        return sharedSecretsDir.orElse(dataDir).resolve(name);
    }

    public ServerConfig withRealm(final String newRealm) {
        return new ServerConfig(dataDir, htdigestFile, newRealm, embeddedBroker, externalBroker, externalBrokerSecret,
                nonceLifetime, instances, maxPayloadBytes, htdigestCheckInterval, postgres,
                sharedSecretsDir, pkcs11Seal);
    }

    public ServerConfig withNonceLifetime(final Duration lifetime) {
        return new ServerConfig(dataDir, htdigestFile, realm, embeddedBroker, externalBroker, externalBrokerSecret,
                lifetime, instances, maxPayloadBytes, htdigestCheckInterval, postgres,
                sharedSecretsDir, pkcs11Seal);
    }

    public ServerConfig withInstances(final int n) {
        return new ServerConfig(dataDir, htdigestFile, realm, embeddedBroker, externalBroker, externalBrokerSecret,
                nonceLifetime, n, maxPayloadBytes, htdigestCheckInterval, postgres,
                sharedSecretsDir, pkcs11Seal);
    }

    /** Stores the EUKeys in PostgreSQL instead of the embedded SQLite file. */
    public ServerConfig withPostgres(final PgStoreConfig pg) {
        return new ServerConfig(dataDir, htdigestFile, realm, embeddedBroker, externalBroker, externalBrokerSecret,
                nonceLifetime, instances, maxPayloadBytes, htdigestCheckInterval,
                Optional.of(pg), sharedSecretsDir, pkcs11Seal);
    }

    /** Reads the master and nonce keys from {@code dir} (see {@link #sharedSecretsDir()}). */
    public ServerConfig withSharedSecrets(final Path dir) {
        return new ServerConfig(dataDir, htdigestFile, realm, embeddedBroker, externalBroker, externalBrokerSecret,
                nonceLifetime, instances, maxPayloadBytes, htdigestCheckInterval,
                postgres, Optional.of(dir), pkcs11Seal);
    }

    /** Uses {@code broker} as the cloud broker instead of embedding one. */
    public ServerConfig withExternalBroker(final MqttEndpoint broker) {
        return new ServerConfig(dataDir, htdigestFile, realm, Optional.empty(), Optional.of(broker), Optional.empty(),
                nonceLifetime, instances, maxPayloadBytes, htdigestCheckInterval, postgres, sharedSecretsDir,
                pkcs11Seal);
    }

    public ServerConfig withHtdigestFile(final Path file) {
        return new ServerConfig(dataDir, file, realm, embeddedBroker, externalBroker, externalBrokerSecret,
                nonceLifetime, instances, maxPayloadBytes, htdigestCheckInterval, postgres,
                sharedSecretsDir, pkcs11Seal);
    }
}
