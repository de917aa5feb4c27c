package org.cpnskeys.gateway.pan;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Keeps the PAN CA's CRL files fresh (issue [H] 4h). A CRL is valid for {@link PanCertificateAuthority#CRL_VALIDITY}
 * (a week); the running gateway calls {@link #renewIfDue()} at start and every {@link #CHECK_EVERY}, and rewrites
 * every recorded CRL file ({@link PanCrlFiles}) once the one there is older than {@link #RENEW_AFTER}, so a CRL in
 * place always has at least six days left. A consumer that reads the file by itself (the HiveMQ extension) always
 * holds a fresh CRL; one that reads it on a signal (Mosquitto: SIGHUP) holds one as fresh as its last signal, so a
 * daily SIGHUP keeps it far from lapsing. A file that is missing, unreadable or not a CRL is rewritten too.
 *
 * <p>Blocking (file I/O, signing): call it from a worker. The clock is given, so tests need not wait days.
 */
public final class PanCrlRenewal {
    /** How old a CRL file may get before it is re-issued. */
    public static final Duration RENEW_AFTER = Duration.ofDays(1);
    /** How often the running gateway looks. */
    public static final Duration CHECK_EVERY = Duration.ofHours(1);

    private final Path dataDir;
    private final PanCertificateAuthority ca;
    private final DeviceRegister register;
    private final Clock clock;

    public PanCrlRenewal(final Path dataDir, final PanCertificateAuthority ca, final DeviceRegister register,
            final Clock clock) {
        this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
        this.ca = Objects.requireNonNull(ca, "ca");
        this.register = Objects.requireNonNull(register, "register");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Rewrites every recorded CRL file with a fresh CRL when one of them is due (older than {@link #RENEW_AFTER},
     * or unreadable). Blocking.
     *
     * @return the files written (empty when none was due, or none is recorded)
     */
    public List<Path> renewIfDue() throws IOException {
        final Instant now = clock.instant();
        final List<Path> files = PanCrlFiles.recorded(dataDir);
        final boolean due = files.stream().filter(f -> Files.isDirectory(f.getParent()))
                .anyMatch(f -> thisUpdate(f).map(t -> !now.isBefore(t.plus(RENEW_AFTER))).orElse(true));
        return due ? PanCrlFiles.republish(dataDir, ca, register, now) : List.of();
    }

    /** When the CRL in {@code file} was issued; empty when there is no readable CRL there. */
    private static Optional<Instant> thisUpdate(final Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            final X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(in);
            return Optional.of(crl.getThisUpdate().toInstant());
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
