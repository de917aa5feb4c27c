package org.cpnskeys.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import org.cpnskeys.gateway.pan.DeviceRegister;
import org.cpnskeys.gateway.pan.FleetEnrolment;
import org.cpnskeys.gateway.pan.PanCertificateAuthority;
import org.cpnskeys.protocol.crypto.SecretFiles;

/**
 * {@code cpns gateway enroll --csr DIR | --entities FILE}: reads the fleet's inputs, enrols them in one pass
 * ({@link FleetEnrolment}), writes each device's files where a single enrolment writes them and reports one line
 * per device. Exit code 0 when every device was enrolled (or skipped), 1 when any was refused.
 */
final class FleetEnrolmentRun {
    private final PanCertificateAuthority ca;
    private final DeviceRegister register;
    private final Path out;
    private final Duration validity;
    private final boolean skipEnrolled;

    FleetEnrolmentRun(final PanCertificateAuthority ca, final DeviceRegister register, final Path out,
            final Duration validity, final boolean skipEnrolled) {
        this.ca = ca;
        this.register = register;
        this.out = out;
        this.validity = validity;
        this.skipEnrolled = skipEnrolled;
    }

    /** Every {@code *.csr} file of {@code folder}, by name; an unreadable one becomes a refused item. */
    static List<FleetEnrolment.Item> csrFolder(final Path folder) {
        final List<Path> files;
        try (Stream<Path> s = Files.list(folder)) {
            files = s.filter(f -> f.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".csr")).sorted().toList();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the folder of CSRs " + folder + ": " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no *.csr file in " + folder + " (--csr): nothing enrolled");
        }
        final List<FleetEnrolment.Item> items = new ArrayList<>();
        for (final Path f : files) {
            try {
                items.add(new FleetEnrolment.CsrItem(f.toString(), Files.readAllBytes(f)));
            } catch (IOException e) {
                items.add(new FleetEnrolment.UnreadableItem(f.toString(), "cannot read the file: " + e.getMessage()));
            }
        }
        return items;
    }

    /** The Entity IDs of {@code file}, one per line; {@code #} starts a comment, blank lines are skipped. */
    static List<FleetEnrolment.Item> entityList(final Path file) {
        final List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the Entity ID list from " + file + " (--entities): "
                    + e.getMessage(), e);
        }
        final List<FleetEnrolment.Item> items = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            final String line = lines.get(i);
            final int hash = line.indexOf('#');
            final String id = (hash < 0 ? line : line.substring(0, hash)).strip();
            if (!id.isEmpty()) {
                items.add(new FleetEnrolment.GeneratedItem(file + ":" + (i + 1), id));
            }
        }
        if (items.isEmpty()) {
            throw new IllegalArgumentException("no Entity ID in " + file + " (--entities): nothing enrolled");
        }
        return items;
    }

    int run(final List<FleetEnrolment.Item> items) throws IOException {
        SecretFiles.ownerOnlyDirectory(out);
        final List<FleetEnrolment.Outcome> outcomes = FleetEnrolment.enroll(ca, register, items, validity, skipEnrolled);
        final Path caFile = out.resolve("pan-ca.pem");
        Files.writeString(caFile, ca.caCertificatePem());
        int enrolled = 0;
        int refused = 0;
        int skipped = 0;
        for (final FleetEnrolment.Outcome o : outcomes) {
            if (o instanceof FleetEnrolment.Enrolled e) {
                final Path cert = e.generated().isPresent() ? EnrolmentFiles.writeBundle(out, e.entity(), e.generated().get())
                        : EnrolmentFiles.writeCertificate(out, e.entity(),
                                new PanCertificateAuthority.DeviceCertificate(e.entity(), e.certificate()).pem(),
                                ca.caCertificatePem());
                System.out.println("enrolled " + e.entity() + " (" + e.source() + "): " + cert + " (certificate "
                        + PanCertificateAuthority.fingerprint(e.certificate()) + ")");
                enrolled++;
            } else if (o instanceof FleetEnrolment.Skipped s) {
                System.out.println("skipped " + s.entity() + " (" + s.source() + "): already enrolled");
                skipped++;
            } else {
                System.err.println("cannot enroll " + o.source() + ": " + ((FleetEnrolment.Refused) o).reason());
                refused++;
            }
        }
        System.out.println("enrolled " + enrolled + " of " + outcomes.size() + " device(s) (" + refused + " refused, "
                + skipped + " skipped); CA " + caFile + " (" + ca.caFingerprint() + ")");
        return refused == 0 ? 0 : 1;
    }
}
