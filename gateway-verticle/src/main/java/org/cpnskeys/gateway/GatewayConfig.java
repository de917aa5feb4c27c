package org.cpnskeys.gateway;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.cpnskeys.broker.ClientSecrets;

import org.cpnskeys.gateway.keys.KeyServiceSettings;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;

/**
 * Validated configuration of a PN GW.
 *
 * @param gatewayId this gateway's identity on the cloud broker
 * @param dataDir folder for the PAN CA, TLS material and the user's credentials (HA1 only), owner-only
 * @param panBindAddress where the PAN broker's TLS listener binds (loopback by default)
 * @param panTlsPort the PAN broker's TLS port (0 = any free port)
 * @param panHostNames DNS names and IPs the PAN broker's certificate names (PNEs check them)
 * @param cloud the cloud broker, with this gateway's ID as user name and its token as password
 * @param realm the digest realm used when the user's credentials are set on this gateway
 * @param onMissingCredentials what to do with a proxy request when no credentials are configured (R6)
 * @param approvalTimeout how long the user has to approve a request before it is refused
 * @param retryAfterSeconds the {@code retryAfter} hint sent with {@code 202}
 * @param cloudTimeout how long to wait for the server's answer before retrying
 * @param cloudAttempts how many times to send one request to the cloud before answering 503
 * @param maxPayloadBytes the largest message accepted
 * @param externalPan when present, the gateway embeds no PAN broker and uses this one (for example Mosquitto
 *        from deploy/mosquitto/pan, which must then enforce mutual TLS and the PAN topic rules itself)
 * @param insecurePanPnePasswords <b>insecure</b>: when present, the PAN broker also lets PNEs in without a client
 *        certificate, by user name (= client id = Entity ID) and password, on its loopback TCP listener; the
 *        gateway still refuses their proxy Key Requests (R4). Empty by default; for tests and for showing R4.
 * @param instances how many gateway verticle instances run (each on its own event loop, with its own PAN and cloud
 *        connection; PAN Key Requests are split between them by a shared subscription); 0 = one per core
 */
public record GatewayConfig(GatewayId gatewayId, Path dataDir, String panBindAddress, int panTlsPort,
        List<String> panHostNames, MqttEndpoint cloud, String realm, MissingCredentials onMissingCredentials,
        Duration approvalTimeout, int retryAfterSeconds, Duration cloudTimeout, int cloudAttempts,
        int maxPayloadBytes, Optional<MqttEndpoint> externalPan, Optional<ClientSecrets> insecurePanPnePasswords,
        int instances) {
    public static final int DEFAULT_PAN_PORT = 8883;
    public static final Duration DEFAULT_APPROVAL_TIMEOUT = Duration.ofMinutes(2);
    /** Key Requests that may wait for the user's decision at once; more are refused with 429. */
    public static final int MAX_PENDING_APPROVALS = 100;
    /** How long an approved proxy request waits for an unreachable CPNS Server before it is answered 503. */
    public static final Duration CLOUD_QUEUE_TIME = Duration.ofMinutes(10);

    /** R6: without configured credentials the gateway MAY drop the request or MAY prompt the user for them. */
    public enum MissingCredentials { DROP, PROMPT }

    /** Most gateway verticle instances (each holds two broker connections). */
    public static final int MAX_INSTANCES = 64;

    public GatewayConfig {
        if (instances == 0) {
            instances = Math.min(MAX_INSTANCES, Runtime.getRuntime().availableProcessors());
        }
        if (instances < 1 || instances > MAX_INSTANCES) {
            throw new IllegalArgumentException("gateway instances must be 1-" + MAX_INSTANCES + " (0 = one per core)");
        }
        if (gatewayId == null || dataDir == null || cloud == null || onMissingCredentials == null) {
            throw new IllegalArgumentException("gateway id, data folder and cloud broker are required");
        }
        if (panTlsPort < 0 || panTlsPort > 65535) {
            throw new IllegalArgumentException("PAN port must be 0-65535");
        }
        panHostNames = List.copyOf(panHostNames);
        if (panHostNames.isEmpty()) {
            throw new IllegalArgumentException("the PAN broker needs at least one host name");
        }
        if (approvalTimeout.isNegative() || approvalTimeout.isZero()) {
            throw new IllegalArgumentException("approval timeout must be positive");
        }
        if (externalPan == null) {
            throw new IllegalArgumentException("externalPan must not be null (use Optional.empty())");
        }
        if (insecurePanPnePasswords == null) {
            throw new IllegalArgumentException("insecurePanPnePasswords must not be null (use Optional.empty())");
        }
        if (retryAfterSeconds < 1 || cloudAttempts < 1 || cloudTimeout.isZero() || cloudTimeout.isNegative()) {
            throw new IllegalArgumentException("retryAfter, cloud timeout and cloud attempts must be positive");
        }
    }

    /** What the gateway's key service needs of this configuration. */
    public KeyServiceSettings keyServiceSettings() {
        return new KeyServiceSettings(realm, onMissingCredentials == MissingCredentials.PROMPT, approvalTimeout,
                retryAfterSeconds, cloudTimeout, cloudAttempts, MAX_PENDING_APPROVALS, CLOUD_QUEUE_TIME);
    }

    /** Defaults for one machine: PAN on loopback. */
    public static GatewayConfig defaults(final GatewayId id, final Path dataDir, final int panPort,
            final MqttEndpoint cloud) {
        return new GatewayConfig(id, dataDir, "127.0.0.1", panPort, List.of("localhost", "127.0.0.1"), cloud, "cpns",
                MissingCredentials.DROP, DEFAULT_APPROVAL_TIMEOUT, 2, Duration.ofSeconds(5), 3,
                MessageCodec.DEFAULT_MAX_PAYLOAD_BYTES, Optional.empty(), Optional.empty(), 1);
    }

    public GatewayConfig withMissingCredentials(final MissingCredentials m) {
        return new GatewayConfig(gatewayId, dataDir, panBindAddress, panTlsPort, panHostNames, cloud, realm, m,
                approvalTimeout, retryAfterSeconds, cloudTimeout, cloudAttempts, maxPayloadBytes,
                externalPan, insecurePanPnePasswords, instances);
    }

    public GatewayConfig withApprovalTimeout(final Duration d) {
        return new GatewayConfig(gatewayId, dataDir, panBindAddress, panTlsPort, panHostNames, cloud, realm,
                onMissingCredentials, d, retryAfterSeconds, cloudTimeout, cloudAttempts, maxPayloadBytes,
                externalPan, insecurePanPnePasswords, instances);
    }

    public GatewayConfig withCloudTimeout(final Duration d, final int attempts) {
        return new GatewayConfig(gatewayId, dataDir, panBindAddress, panTlsPort, panHostNames, cloud, realm,
                onMissingCredentials, approvalTimeout, retryAfterSeconds, d, attempts, maxPayloadBytes,
                externalPan, insecurePanPnePasswords, instances);
    }

    /** Reaches the cloud broker at {@code endpoint} instead. */
    public GatewayConfig withCloud(final MqttEndpoint endpoint) {
        return new GatewayConfig(gatewayId, dataDir, panBindAddress, panTlsPort, panHostNames, endpoint, realm,
                onMissingCredentials, approvalTimeout, retryAfterSeconds, cloudTimeout, cloudAttempts, maxPayloadBytes,
                externalPan, insecurePanPnePasswords, instances);
    }

    public GatewayConfig withRealm(final String r) {
        return new GatewayConfig(gatewayId, dataDir, panBindAddress, panTlsPort, panHostNames, cloud, r,
                onMissingCredentials, approvalTimeout, retryAfterSeconds, cloudTimeout, cloudAttempts, maxPayloadBytes,
                externalPan, insecurePanPnePasswords, instances);
    }

    /** Uses an external PAN broker (the gateway's own client endpoint on it) instead of embedding one. */
    public GatewayConfig withExternalPan(final MqttEndpoint pan) {
        return new GatewayConfig(gatewayId, dataDir, panBindAddress, panTlsPort, panHostNames, cloud, realm,
                onMissingCredentials, approvalTimeout, retryAfterSeconds, cloudTimeout, cloudAttempts, maxPayloadBytes,
                Optional.of(pan), insecurePanPnePasswords, instances);
    }

    /** This configuration with PNEs allowed in by password, without certificate: <b>insecure</b> (see above). */
    public GatewayConfig withInsecurePanPnePasswords(final ClientSecrets passwords) {
        return new GatewayConfig(gatewayId, dataDir, panBindAddress, panTlsPort, panHostNames, cloud, realm,
                onMissingCredentials, approvalTimeout, retryAfterSeconds, cloudTimeout, cloudAttempts, maxPayloadBytes,
                externalPan, Optional.of(passwords), instances);
    }

    /** Runs {@code n} gateway verticle instances (0 = one per core). */
    public GatewayConfig withInstances(final int n) {
        return new GatewayConfig(gatewayId, dataDir, panBindAddress, panTlsPort, panHostNames, cloud, realm,
                onMissingCredentials, approvalTimeout, retryAfterSeconds, cloudTimeout, cloudAttempts, maxPayloadBytes,
                externalPan, insecurePanPnePasswords, n);
    }
}
