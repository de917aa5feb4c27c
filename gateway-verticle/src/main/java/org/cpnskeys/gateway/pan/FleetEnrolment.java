package org.cpnskeys.gateway.pan;

import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

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
    public record Refused(String source, String reason) implements Outcome {
    }

    /** Already enrolled and left as it is ({@code skipEnrolled}). */
    public record Skipped(String source, EntityId entity) implements Outcome {
    }

    /** Enrols {@code items} with {@code ca}, records them in {@code register}; outcomes in input order. Blocking. */
    public static List<Outcome> enroll(final PanCertificateAuthority ca, final DeviceRegister register,
            final List<? extends Item> items, final Duration validity, final boolean skipEnrolled) throws IOException {
        register.reloadIfChanged();
        final List<Object> checked = new ArrayList<>(items.size());
        final Map<EntityId, Integer> seen = new HashMap<>();
        for (final Item item : items) {
            final Object c = check(ca, item);
            checked.add(c);
            entityOf(c).ifPresent(e -> seen.merge(e, 1, Integer::sum));
        }
        final List<Outcome> outcomes = new ArrayList<>(items.size());
        final List<DeviceRegister.NewDevice> issued = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            final String source = items.get(i).source();
            final Object c = checked.get(i);
            final Optional<EntityId> entity = entityOf(c);
            if (c instanceof Refused r) {
                outcomes.add(r);
            } else if (seen.get(entity.orElseThrow()) > 1) {
                outcomes.add(new Refused(source, "the Entity ID " + entity.get() + " appears " + seen.get(entity.get())
                        + " times in this enrolment; none of them was enrolled"));
            } else if (register.enrolled(entity.get())) {
                outcomes.add(skipEnrolled ? new Skipped(source, entity.get()) : new Refused(source, "the Entity ID "
                        + entity.get() + " is already enrolled (see 'cpns gateway devices'); revoke it first, or"
                        + " enroll it again alone"));
            } else {
                final Enrolled e = issue(ca, source, c, validity);
                outcomes.add(e);
                issued.add(new DeviceRegister.NewDevice(e.certificate(), e.entity(), e.generated().isPresent()
                        ? DeviceRegister.Method.GENERATED : DeviceRegister.Method.CSR));
            }
        }
        register.addAll(issued);
        return outcomes;
    }

    /** A checked item: a {@link PanCertificateAuthority.CheckedRequest}, an {@link EntityId} or a {@link Refused}. */
    private static Object check(final PanCertificateAuthority ca, final Item item) {
        if (item instanceof UnreadableItem u) {
            return new Refused(u.source(), u.reason());
        }
        if (item instanceof CsrItem csr) {
            try {
                return ca.checkRequest(csr.csrPem());
            } catch (IOException e) {
                return new Refused(csr.source(), e.getMessage());
            }
        }
        final GeneratedItem g = (GeneratedItem) item;
        try {
            final EntityId entity = EntityId.of(g.entity());
            final Optional<String> reserved = PanCertificateAuthority.reservedName(entity);
            return reserved.<Object>map(why -> new Refused(g.source(), why)).orElse(entity);
        } catch (IllegalArgumentException e) {
            return new Refused(g.source(), "not a valid Entity ID: " + e.getMessage());
        }
    }

    private static Optional<EntityId> entityOf(final Object checked) {
        if (checked instanceof PanCertificateAuthority.CheckedRequest r) {
            return Optional.of(r.entity());
        }
        return checked instanceof EntityId e ? Optional.of(e) : Optional.empty();
    }

    private static Enrolled issue(final PanCertificateAuthority ca, final String source, final Object checked,
            final Duration validity) {
        if (checked instanceof PanCertificateAuthority.CheckedRequest r) {
            return new Enrolled(source, r.entity(), ca.issueDevice(r, validity).certificate(), Optional.empty());
        }
        final EntityId entity = (EntityId) checked;
        final IssuedIdentity identity = ca.issueDevice(entity, validity);
        return new Enrolled(source, entity, identity.certificate(), Optional.of(identity));
    }
}
