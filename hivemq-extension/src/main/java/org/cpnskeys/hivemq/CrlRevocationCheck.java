package org.cpnskeys.hivemq;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts a PNE certificate unless the PAN CA's CRL lists it: the revocation check a standalone HiveMQ cannot
 * make by itself (its TLS listener has no CRL setting). The CRL file is re-read when it changes
 * ({@link #reloadIfChanged}, called every second by the extension), its signature checked against the PAN CA.
 *
 * <p>Fails closed: while the CRL is missing, unreadable, not signed by the CA or past its nextUpdate, every PNE
 * certificate is refused (the gateway's own account is not a certificate and still connects), and the reason is
 * logged once per change. A CRL without nextUpdate is refused too: the PAN CA's CRLs carry a short one (days) and
 * the gateway re-issues them before it passes, so a CRL an attacker kept from an earlier day cannot stand in for
 * the current one for long. {@link #test} only reads a snapshot: non-blocking and thread-safe, as HiveMQ's
 * authenticator threads need.
 */
final class CrlRevocationCheck implements Predicate<X509Certificate> {
    private static final Logger LOG = LoggerFactory.getLogger(CrlRevocationCheck.class);

    private final X509Certificate ca;
    private final Path crlFile;
    private final Clock clock;
    private volatile State state = new State(null, null, "not read yet");

    /** The CRL in force (null when refusing everything), the file version it came from, why it failed. */
    private record State(X509CRL crl, Object version, String problem) {
    }

    CrlRevocationCheck(final X509Certificate ca, final Path crlFile) {
        this(ca, crlFile, Clock.systemUTC());
    }

    CrlRevocationCheck(final X509Certificate ca, final Path crlFile, final Clock clock) {
        this.ca = Objects.requireNonNull(ca, "ca");
        this.crlFile = Objects.requireNonNull(crlFile, "crlFile");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public boolean test(final X509Certificate certificate) {
        final X509CRL crl = state.crl();
        return crl != null && crl.getNextUpdate() != null
                && clock.instant().isBefore(crl.getNextUpdate().toInstant())
                && !clock.instant().isBefore(crl.getThisUpdate().toInstant().minusSeconds(300))
                && !crl.isRevoked(certificate);
    }

    /** When the CRL in force lapses, if one is in force. */
    Optional<Instant> nextUpdate() {
        final X509CRL crl = state.crl();
        return crl == null || crl.getNextUpdate() == null ? Optional.empty()
                : Optional.of(crl.getNextUpdate().toInstant());
    }

    /** How many certificates the CRL in force lists, or -1 while refusing every certificate. */
    int revokedCount() {
        final X509CRL crl = state.crl();
        return crl == null ? -1 : crl.getRevokedCertificates() == null ? 0 : crl.getRevokedCertificates().size();
    }

    /**
     * Re-reads the CRL when the file changed (one stat otherwise). Blocking; never throws.
     *
     * @return whether the file changed (and was read again)
     */
    boolean reloadIfChanged() {
        Object version;
        try {
            final BasicFileAttributes a = Files.readAttributes(crlFile, BasicFileAttributes.class);
            version = List.of(a.lastModifiedTime(), a.size(), String.valueOf(a.fileKey()));
        } catch (IOException e) {
            version = "unreadable";
        }
        if (version.equals(state.version())) {
            return false;
        }
        try (InputStream in = Files.newInputStream(crlFile)) {
            final X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(in);
            if (!crl.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
                throw new GeneralSecurityException("the CRL is not issued by the PAN CA");
            }
            crl.verify(ca.getPublicKey());
            state = new State(crl, version, null);
            LOG.info("PAN CRL {} in force: {} revoked certificate(s), next update {}", crlFile, revokedCount(),
                    crl.getNextUpdate());
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            final String problem = e.getClass().getSimpleName() + ": " + e.getMessage();
            if (!problem.equals(state.problem())) {
                LOG.error("PAN CRL {} cannot be used ({}): refusing every PNE certificate until it can", crlFile, problem);
            }
            state = new State(null, version, problem);
        }
        return true;
    }
}
