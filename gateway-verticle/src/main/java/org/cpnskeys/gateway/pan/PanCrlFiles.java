package org.cpnskeys.gateway.pan;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import org.cpnskeys.protocol.crypto.SecretFiles;

/**
 * The PAN CRL files an external PAN broker reads ({@code crlfile} in Mosquitto, {@code crl-file} of the HiveMQ
 * extension). A broker that cannot ask the gateway whether a device was revoked learns it from a CRL signed by
 * the PAN CA; this class writes that CRL and remembers where, so that every {@code cpns gateway revoke} rewrites
 * each of them.
 *
 * <p>The places are listed, one absolute path a line, in {@value #LIST_FILE} in the gateway's data folder (owner-only).
 * Each CRL is PEM, written to a temporary file in the same folder and renamed over the old one (a broker never
 * reads half a CRL), mode 0644: a CRL is public, and the broker usually runs as another user. All methods are
 * blocking: call them from a worker or a command, never an event loop.
 */
public final class PanCrlFiles {
    /** The list of CRL files inside the gateway's data folder. */
    public static final String LIST_FILE = "pan-crl-files";
    /** The CRL's usual name beside the broker's other TLS files. */
    public static final String DEFAULT_NAME = "pan-crl.pem";

    private PanCrlFiles() {
    }

    /**
     * Writes the current CRL to {@code crlFile} and records it in the data folder, so later revocations rewrite it.
     *
     * @return the number of revoked certificates it lists
     */
    public static synchronized int publish(final Path dataDir, final Path crlFile, final PanCertificateAuthority ca,
            final DeviceRegister register) throws IOException {
        Objects.requireNonNull(crlFile, "crlFile");
        final Path absolute = crlFile.toAbsolutePath().normalize();
        register.reloadIfChanged();
        final List<PanCertificateAuthority.Revocation> revoked = register.revocations();
        write(absolute, ca.issueCrlPem(revoked));
        final Set<Path> known = new LinkedHashSet<>(recorded(dataDir));
        if (known.add(absolute)) {
            final StringBuilder list = new StringBuilder("# PAN CRL files rewritten at every revocation\n");
            known.forEach(p -> list.append(p).append('\n'));
            SecretFiles.writeAtomically(dataDir.resolve(LIST_FILE), list.toString().getBytes(StandardCharsets.UTF_8));
        }
        return revoked.size();
    }

    /**
     * Rewrites every recorded CRL file with the register's current revocations (after {@code cpns gateway revoke}).
     * A recorded file whose folder is gone is skipped (the broker was moved); the others are written.
     *
     * @return the files written
     */
    public static List<Path> republish(final Path dataDir, final PanCertificateAuthority ca,
            final DeviceRegister register) throws IOException {
        return republish(dataDir, ca, register, Instant.now());
    }

    /** {@link #republish(Path, PanCertificateAuthority, DeviceRegister)} with a CRL issued as of {@code now}. */
    public static synchronized List<Path> republish(final Path dataDir, final PanCertificateAuthority ca,
            final DeviceRegister register, final Instant now) throws IOException {
        register.reloadIfChanged();
        final List<Path> written = new ArrayList<>();
        final List<Path> targets = recorded(dataDir);
        if (targets.isEmpty()) {
            return written;
        }
        final String pem = ca.issueCrlPem(register.revocations(), now);
        for (final Path target : targets) {
            if (Files.isDirectory(target.getParent())) {
                write(target, pem);
                written.add(target);
            }
        }
        return written;
    }

    /** The recorded CRL files (absolute paths), in the order they were first published. */
    public static List<Path> recorded(final Path dataDir) throws IOException {
        final Path list = dataDir.resolve(LIST_FILE);
        if (!Files.exists(list)) {
            return List.of();
        }
        final List<Path> out = new ArrayList<>();
        for (final String line : Files.readAllLines(list, StandardCharsets.UTF_8)) {
            if (!line.isBlank() && !line.startsWith("#")) {
                out.add(Path.of(line.strip()));
            }
        }
        return out;
    }

    private static void write(final Path file, final String pem) throws IOException {
        SecretFiles.writePublicAtomically(file, pem.getBytes(StandardCharsets.US_ASCII));
    }
}
