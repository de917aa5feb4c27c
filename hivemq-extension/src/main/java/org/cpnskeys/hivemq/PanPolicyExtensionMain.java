package org.cpnskeys.hivemq;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import org.cpnskeys.broker.BrokerAccessPolicy;
import org.cpnskeys.broker.ClientPrincipal;
import org.cpnskeys.broker.ConnectAttempt;
import org.cpnskeys.broker.HashedSecrets;
import org.cpnskeys.broker.PanAccessPolicy;
import org.cpnskeys.broker.PolicyExtension;
import org.cpnskeys.broker.TopicRule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PN GW's PAN access policy as a HiveMQ CE extension (folder {@code extensions/cpns-pan-policy}): the same
 * {@link PanAccessPolicy} and {@link PolicyExtension} the gateway's embedded broker runs, configured from
 * {@value PanPolicySettings#FILE} in the extension's folder, with revocation read from the PAN CA's CRL
 * ({@link CrlRevocationCheck}, re-read within a second of every change; a PNE connected with a certificate the new
 * CRL lists is disconnected then).
 *
 * <p>A PNE connects over the TLS listener (client certificate required by HiveMQ, trust store = PAN CA) with
 * client id = its certificate's CN; the gateway connects on the loopback listener as {@code gateway-user} with its
 * password. Anything wrong in the settings leaves the extension refusing every client and saying why in HiveMQ's
 * log: HiveMQ without an authenticator would let everyone in.
 */
public final class PanPolicyExtensionMain implements ExtensionMain {
    private static final Logger LOG = LoggerFactory.getLogger(PanPolicyExtensionMain.class);

    /** Refuses every connection: what a misconfigured extension enforces. */
    static final BrokerAccessPolicy REFUSE_ALL = new BrokerAccessPolicy() {
        @Override
        public Optional<ClientPrincipal> authenticate(final ConnectAttempt attempt) {
            return Optional.empty();
        }

        @Override
        public List<TopicRule> rules(final ClientPrincipal principal) {
            return List.of();
        }
    };

    /** How often the CRL file is checked for a change (one stat when it did not change). */
    static final long CRL_RELOAD_MS = 250;

    private volatile ScheduledFuture<?> crlReload;

    /** HiveMQ makes one through its service loader (META-INF/services). */
    public PanPolicyExtensionMain() {
        // nothing: everything is read in extensionStart
    }

    /**
     * Puts the policy configured in the extension's folder in force. The CRL is re-read every
     * {@link #CRL_RELOAD_MS} ms when it changed; a CRL that now lists the certificate of a connected PNE disconnects
     * it at once.
     */
    @Override
    public void extensionStart(final ExtensionStartInput input, final ExtensionStartOutput output) {
        final Path home = input.getExtensionInformation().getExtensionHomeFolder().toPath();
        PolicyExtension extension;
        try {
            final PanPolicySettings settings = PanPolicySettings.read(home);
            final CrlRevocationCheck crl = new CrlRevocationCheck(readCertificate(settings.caFile()), settings.crlFile());
            crl.reloadIfChanged();
            final PolicyExtension policy = new PolicyExtension(new PanAccessPolicy(settings.gatewayUser(),
                    HashedSecrets.of(Map.of(settings.gatewayUser(), settings.gatewayPasswordSha256())), crl));
            crlReload = Services.extensionExecutorService().scheduleWithFixedDelay(() -> {
                if (crl.reloadIfChanged()) {
                    policy.disconnectUnless(crl);
                }
            }, CRL_RELOAD_MS, CRL_RELOAD_MS, TimeUnit.MILLISECONDS);
            extension = policy;
            LOG.info("CPNS PAN policy in force: {}", settings);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            LOG.error("CPNS PAN policy is not configured ({}): refusing every client", e.getMessage());
            extension = new PolicyExtension(REFUSE_ALL);
        }
        extension.extensionStart(input, output);
    }

    @Override
    public void extensionStop(final ExtensionStopInput input, final ExtensionStopOutput output) {
        final ScheduledFuture<?> reload = crlReload;
        if (reload != null) {
            reload.cancel(false);
        }
    }

    private static X509Certificate readCertificate(final Path file) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            final X509Certificate ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            if (ca.getBasicConstraints() < 0) {
                throw new GeneralSecurityException(file + " is not a CA certificate");
            }
            return ca;
        }
    }
}
