package org.cpnskeys.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.cpnskeys.gateway.pan.DeviceRegister;
import org.cpnskeys.protocol.tls.IssuedIdentity;
import org.cpnskeys.gateway.pan.PanCertificateAuthority;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.crypto.SecretFiles;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cpns gateway enroll}: issues a PNE's PAN identity, from its CSR or as a generated bundle. */
@Command(name = "enroll", mixinStandardHelpOptions = true,
        description = {"Issues a PAN client certificate for a PNE from this gateway's PAN CA (CN = Entity ID) and",
                "records it in the gateway's device register. Two ways:",
                "  --csr device.csr   from the device's own PKCS#10 request (e.g. 'openssl req'): the private",
                "                     key never leaves the device. Writes <entity>-cert.pem and pan-ca.pem.",
                "  --entity ID        for devices that cannot make a request: generates the key pair and writes",
                "                     <entity>.p12 (+ .p12.pass), <entity>-key.pem, <entity>-cert.pem, pan-ca.pem.",
                "Many devices in one call (one pass over the gateway's data; a running gateway sees them within a second):",
                "  --csr DIR          every *.csr file in DIR, each written as <entity>-cert.pem.",
                "  --entities FILE    one Entity ID per line ('#' starts a comment): a bundle for each.",
                "  Each device that cannot be enrolled (unreadable file, bad request, Entity ID twice in the batch or",
                "  already enrolled) is reported on one line with its file; the others are enrolled; exit 1 if any failed.",
                "Key files are owner-only. The PNE connects with MQTT client id = Entity ID over TLS.",
                "Entity IDs starting with 'cpns-' are reserved (the gateway's and the servers' own names)."})
final class GatewayEnrollCommand implements Callable<Integer> {
    @Mixin
    GatewayDataOptions gateway = new GatewayDataOptions();

    @Mixin
    GatewayCaIdOptions caId = new GatewayCaIdOptions();

    @Option(names = "--entity", description = "The PNE's Entity ID (with --csr: must equal the request's CN).")
    String entity;

    @Option(names = "--csr", description = "The device's certificate signing request (PEM, PKCS#10; CN = Entity ID),"
            + " or a folder of them (*.csr).")
    Path csr;

    @Option(names = "--entities", description = "A file of Entity IDs, one per line ('#' comments): a generated bundle"
            + " for each.")
    Path entities;

    @Option(names = "--skip-enrolled", description = "With a folder or --entities: leave devices already enrolled as"
            + " they are (reported as skipped) instead of failing them.")
    boolean skipEnrolled;

    @Option(names = "--out", defaultValue = ".", description = "Output folder (default: current folder).")
    Path out;

    @Option(names = "--validity", defaultValue = "${env:CPNS_DEVICE_CERT_VALIDITY:-P825D}",
            description = "Validity of the device certificate (ISO-8601, default ${DEFAULT-VALUE}; cut to the CA's end).")
    Duration validity;

    @Option(names = "--ca-validity", defaultValue = "${env:CPNS_PAN_CA_VALIDITY:-P3650D}",
            description = "Lifetime of the PAN CA when this command creates it (default ${DEFAULT-VALUE}).")
    Duration caValidity;

    @Option(names = "--print", description = "Also print the certificate and the CA certificate (PEM) on standard output.")
    boolean print;

    @Override
    public Integer call() throws Exception {
        if (entities != null || csr != null && Files.isDirectory(csr)) {
            if (entity != null || entities != null && csr != null) {
                System.err.println("give one of --csr <folder>, --entities <file> (and not --entity with them)");
                return 2;
            }
            final Path dir = SecretFiles.ownerOnlyDirectory(gateway.data);
            return new FleetEnrolmentRun(PanCertificateAuthority.loadOrCreate(dir.resolve("pan-ca"),
                    GatewayId.of(caId.id).value(), caValidity), DeviceRegister.open(dir), out, validity, skipEnrolled)
                    .run(entities != null ? FleetEnrolmentRun.entityList(entities) : FleetEnrolmentRun.csrFolder(csr));
        }
        if (csr == null && entity == null) {
            System.err.println("give --csr <file> (the device made its key) or --entity <id> (generate a bundle)");
            return 2;
        }
        final Optional<String> reserved = entity == null ? Optional.empty()
                : PanCertificateAuthority.reservedName(EntityId.of(entity));
        if (reserved.isPresent()) {
            System.err.println("cannot enroll: " + reserved.get() + "; nothing issued");
            return 2;
        }
        final Path dir = SecretFiles.ownerOnlyDirectory(gateway.data);
        final PanCertificateAuthority ca = PanCertificateAuthority.loadOrCreate(dir.resolve("pan-ca"),
                GatewayId.of(caId.id).value(), caValidity);
        final DeviceRegister register = DeviceRegister.open(dir);
        SecretFiles.ownerOnlyDirectory(out);
        final X509Certificate certificate;
        final EntityId e;
        if (csr != null) {
            final PanCertificateAuthority.DeviceCertificate issued;
            try {
                issued = ca.issueDeviceFromCsr(Files.readAllBytes(csr), validity);
            } catch (IOException refused) {
                System.err.println("cannot enroll from " + csr + ": " + refused.getMessage() + "; nothing issued");
                return 2;
            }
            certificate = issued.certificate();
            e = issued.entity();
            if (entity != null && !EntityId.of(entity).equals(e)) {
                System.err.println("the request's CN " + e + " differs from --entity " + entity + ": nothing issued");
                return 2;
            }
            register.add(certificate, e, DeviceRegister.Method.CSR);
            EnrolmentFiles.writeCertificate(out, e, issued.pem(), ca.caCertificatePem());
        } else {
            e = EntityId.of(entity);
            final IssuedIdentity identity = ca.issueDevice(e, validity);
            certificate = identity.certificate();
            register.add(certificate, e, DeviceRegister.Method.GENERATED);
            EnrolmentFiles.writeBundle(out, e, identity);
        }
        Files.writeString(out.resolve("pan-ca.pem"), ca.caCertificatePem());
        final String summary = "enrolled " + e + (csr != null ? " from its CSR" : " (generated key)") + ": "
                + out.resolve(e.value() + "-cert.pem") + ", CA " + out.resolve("pan-ca.pem") + " (certificate "
                + PanCertificateAuthority.fingerprint(certificate) + ", valid until "
                + certificate.getNotAfter().toInstant() + "; CA " + ca.caFingerprint() + ")";
        if (print) {
            System.err.println(summary);
            System.out.print(Files.readString(out.resolve(e.value() + "-cert.pem")));
        } else {
            System.out.println(summary);
        }
        return 0;
    }
}
