package org.cpnskeys.gateway.web;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.cpnskeys.gateway.pan.DeviceRegister;
import org.cpnskeys.gateway.pan.FleetEnrolment;
import org.cpnskeys.gateway.pan.PanCertificateAuthority;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/devices/enroll} on the owner's page: enrols devices from their own CSRs, uploaded or pasted,
 * with the rules of {@code cpns gateway enroll --csr DIR} ({@link FleetEnrolment}: each device stands alone, one
 * reason per refused one), and answers with each issued certificate (PEM, then the CA's) for the page to offer as
 * a download. Behind the page's login and {@link CsrfGuard} like every POST. Body:
 * {@code {"csrs": [{"name": "sensor-1.csr", "pem": "-----BEGIN CERTIFICATE REQUEST-----..."}]}}, at most
 * {@value #MAX_CSRS} requests. Only CSRs: a generated bundle would carry a private key through the browser.
 */
final class DeviceEnrolmentRoute implements Handler<RoutingContext> {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceEnrolmentRoute.class);
    /** Requests per upload. */
    static final int MAX_CSRS = 200;
    /** The upload's body limit: {@value #MAX_CSRS} RSA-4096 requests fit. */
    static final int MAX_BODY_BYTES = 512 * 1024;
    private static final int MAX_NAME = 100;

    private final Vertx vertx;
    private final PanCertificateAuthority ca;
    private final DeviceRegister register;
    private final Duration validity;

    DeviceEnrolmentRoute(final Vertx vertx, final PanCertificateAuthority ca, final DeviceRegister register,
            final Duration validity) {
        this.vertx = vertx;
        this.ca = ca;
        this.register = register;
        this.validity = validity;
    }

    @Override
    public void handle(final RoutingContext ctx) {
        final List<FleetEnrolment.Item> items;
        try {
            items = items(ctx.body().asJsonObject());
        } catch (RuntimeException e) {
            error(ctx, 400, "Send {\"csrs\": [{\"name\": ..., \"pem\": ...}]} with 1 to " + MAX_CSRS + " requests.");
            return;
        }
        vertx.executeBlocking(() -> FleetEnrolment.enroll(ca, register, items, validity, false), false)
                .onSuccess(outcomes -> ctx.response().setStatusCode(200)
                        .putHeader("Content-Type", "application/json; charset=utf-8").end(answer(outcomes).encode()))
                .onFailure(e -> {
                    LOG.warn("approval page: enrolment failed: {}", e.getMessage());
                    error(ctx, 500, "The devices could not be enrolled on the gateway.");
                });
    }

    private static List<FleetEnrolment.Item> items(final JsonObject body) {
        final JsonArray csrs = body.getJsonArray("csrs");
        if (csrs.isEmpty() || csrs.size() > MAX_CSRS) {
            throw new IllegalArgumentException("1 to " + MAX_CSRS + " requests");
        }
        final List<FleetEnrolment.Item> items = new ArrayList<>();
        for (int i = 0; i < csrs.size(); i++) {
            final JsonObject c = csrs.getJsonObject(i);
            final String name = ApprovalPageVerticle.printable(c.getString("name", "request " + (i + 1)));
            items.add(new FleetEnrolment.CsrItem(name.isBlank() ? "request " + (i + 1)
                    : name.substring(0, Math.min(MAX_NAME, name.length())),
                    c.getString("pem").getBytes(StandardCharsets.US_ASCII)));
        }
        return items;
    }

    private JsonObject answer(final List<FleetEnrolment.Outcome> outcomes) {
        final JsonArray results = new JsonArray();
        int enrolled = 0;
        for (final FleetEnrolment.Outcome o : outcomes) {
            final JsonObject r = new JsonObject().put("source", o.source());
            if (o instanceof FleetEnrolment.Enrolled e) {
                enrolled++;
                r.put("entityId", e.entity().value()).put("enrolled", true)
                        .put("fingerprint", PanCertificateAuthority.fingerprint(e.certificate()))
                        .put("certificate", new PanCertificateAuthority.DeviceCertificate(e.entity(), e.certificate())
                                .pem() + ca.caCertificatePem());
            } else {
                r.put("enrolled", false).put("reason", ((FleetEnrolment.Refused) o).reason());
            }
            results.add(r);
        }
        LOG.info("approval page: {} of {} device(s) enrolled from their CSRs", enrolled, outcomes.size());
        return new JsonObject().put("results", results).put("caCertificate", ca.caCertificatePem())
                .put("caFingerprint", ca.caFingerprint());
    }

    private static void error(final RoutingContext ctx, final int status, final String message) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json; charset=utf-8")
                .end(new JsonObject().put("error", message).encode());
    }
}
