package org.cpnskeys.gateway.pan;

import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.tls.IssuedIdentity;

/**
 * Enrols many PNEs in one pass: each device from its own CSR or as a generated bundle, every issued certificate
 * recorded in the device register by ONE rewrite of the file ({@link DeviceRegister#addAll}). Used by
 * {@code cpns gateway enroll --csr DIR | --entities FILE} and by the gateway's page.
 *
 * <p>Each device stands alone: a bad request, an unreadable file or an Entity ID met twice is refused with its
 * reason and the others are still enrolled (a fleet is a set of independent devices; one bad file must not hold
 * back thirty-nine, and the report names what to fix). An Entity ID is refused when it appears twice in the batch
 * (neither issued: which of the two is the device is the operator's call) or already holds an active certificate
 * (re-enrolling an enrolled device is done one at a time, on purpose), unless {@code skipEnrolled} lets such a
 * device pass as {@link Skipped}, so that the same folder can be given again after fixing the refused files.
 *
 * <p>"Already enrolled" is judged on the register as read when the batch starts: another process enrolling the
 * same Entity ID at that very moment can still add a second certificate, as two single enrolments can (the register
 * holds both; revocation takes every certificate of the entity).
 *
 * <p>Nothing is signed for a refused device: requests are checked first ({@link PanCertificateAuthority#checkRequest}),
 * duplicates found, then the rest issued. Blocking (signature checks, key generation, file I/O): call it on a worker.
 */
public final class FleetEnrolment {
    private FleetEnrolment() {
    }

    /** One device to enrol; {@code source} names it in the report (a file name, {@code list.txt:7}). */
    public sealed interface Item {
        String source();
    }

    /** A device's own PKCS#10 request (PEM). */
    public record CsrItem(String source, byte[] csrPem) implements Item {
        public CsrItem {
            Objects.requireNonNull(source, "source");
            csrPem = csrPem.clone();
        }
    }

    /** A device that cannot make a request: the gateway generates its key pair. {@code entity} is not checked yet. */
    public record GeneratedItem(String source, String entity) implements Item {
        public GeneratedItem {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(entity, "entity");
        }
    }

    /** A device whose input could not even be read (reported as refused, with {@code reason}). */
    public record UnreadableItem(String source, String reason) implements Item {
    }

    /** What became of one item, in input order. */
    public sealed interface Outcome {
        String source();
    }

    /**
     * Enrolled: the certificate, and for a generated bundle the identity (with its private key) to hand over.
     */
    public record Enrolled(String source, EntityId entity, X509Certificate certificate,
            Optional<IssuedIdentity> generated) implements Outcome {
    }

    /** Not enrolled, and why (never quoting the request). */
    public record Refused(String source, String reason) implements Outcome, Checked {
    }

    /** Already enrolled and left as it is ({@code skipEnrolled}). */
    public record Skipped(String source, EntityId entity) implements Outcome {
    }

    /** An item after its check: a {@link Candidate} to issue, or {@link Refused}. */
    private sealed interface Checked permits Candidate, Refused {
    }

    /** A device that passed its check: its Entity ID and, for a CSR, the checked request (else a bundle). */
    private record Candidate(String source, EntityId entity, Optional<PanCertificateAuthority.CheckedRequest> request)
            implements Checked {
    }

    /** Enrols {@code items} with {@code ca}, records them in {@code register}; outcomes in input order. Blocking. */
    public static List<Outcome> enroll(final PanCertificateAuthority ca, final DeviceRegister register,
            final List<? extends Item> items, final Duration validity, final boolean skipEnrolled) throws IOException {
        register.reloadIfChanged();
        final List<Checked> checked = items.stream().map(item -> check(ca, item)).toList();
        final Map<EntityId, Long> seen = checked.stream().filter(Candidate.class::isInstance)
                .collect(Collectors.groupingBy(c -> ((Candidate) c).entity(), Collectors.counting()));
        final List<Outcome> outcomes = new ArrayList<>(items.size());
        final List<DeviceRegister.NewDevice> issued = new ArrayList<>();
        for (final Checked c : checked) {
            if (c instanceof Refused r) {
                outcomes.add(r);
            } else if (c instanceof Candidate d && seen.get(d.entity()) > 1) {
                outcomes.add(new Refused(d.source(), "the Entity ID " + d.entity() + " appears " + seen.get(d.entity())
                        + " times in this enrolment; none of them was enrolled"));
            } else if (c instanceof Candidate d && register.enrolled(d.entity())) {
                outcomes.add(skipEnrolled ? new Skipped(d.source(), d.entity()) : new Refused(d.source(), "the Entity ID "
                        + d.entity() + " is already enrolled (see 'cpns gateway devices'); revoke it first, or"
                        + " enroll it again alone"));
            } else if (c instanceof Candidate d) {
                final Enrolled e = issue(ca, d, validity);
                outcomes.add(e);
                issued.add(new DeviceRegister.NewDevice(e.certificate(), e.entity(), e.generated().isPresent()
                        ? DeviceRegister.Method.GENERATED : DeviceRegister.Method.CSR));
            }
        }
        register.addAll(issued);
        return outcomes;
    }

    private static Checked check(final PanCertificateAuthority ca, final Item item) {
        if (item instanceof UnreadableItem u) {
            return new Refused(u.source(), u.reason());
        }
        if (item instanceof CsrItem csr) {
            try {
                final PanCertificateAuthority.CheckedRequest r = ca.checkRequest(csr.csrPem());
                return new Candidate(csr.source(), r.entity(), Optional.of(r));
            } catch (IOException e) {
                return new Refused(csr.source(), e.getMessage());
            }
        }
        final GeneratedItem g = (GeneratedItem) item;
        try {
            final EntityId entity = EntityId.of(g.entity());
            final Optional<String> reserved = PanCertificateAuthority.reservedName(entity);
            return reserved.<Checked>map(why -> new Refused(g.source(), why))
                    .orElse(new Candidate(g.source(), entity, Optional.empty()));
        } catch (IllegalArgumentException e) {
            return new Refused(g.source(), "not a valid Entity ID: " + e.getMessage());
        }
    }

    private static Enrolled issue(final PanCertificateAuthority ca, final Candidate d, final Duration validity) {
        if (d.request().isPresent()) {
            return new Enrolled(d.source(), d.entity(), ca.issueDevice(d.request().get(), validity).certificate(),
                    Optional.empty());
        }
        final IssuedIdentity identity = ca.issueDevice(d.entity(), validity);
        return new Enrolled(d.source(), d.entity(), identity.certificate(), Optional.of(identity));
    }
}
